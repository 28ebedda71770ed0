// Every note the service (or its runner) posts carries an invisible marker, so that a note of ours that
// quotes or mentions the trigger phrase can never start another run, even if the bot user is renamed or
// `selfUsername` is not known yet. The marker itself lives with the tracking note that carries it.
import { SERVICE_NOTE_MARKER } from '../tracking-note.js';

export { SERVICE_NOTE_MARKER };

export function hasServiceMarker(body: string): boolean {
  return body.includes(SERVICE_NOTE_MARKER);
}
