// Emoji names the award API accepts. GitLab validates against its full emoji set (TanukiEmoji) and
// answers 404 "Award Emoji Name is not a valid emoji name" otherwise; the stand-in knows the common
// names (names are without colons: `eyes`, not `:eyes:`). Pass `emojiNames` to startGitLabStandIn for more.

export const DEFAULT_EMOJI_NAMES: readonly string[] = [
  'thumbsup', '+1', 'thumbsdown', '-1', 'eyes', 'rocket', 'tada', 'heart', 'smile', 'laughing', 'confused',
  'white_check_mark', 'heavy_check_mark', 'ballot_box_with_check', 'x', 'negative_squared_cross_mark',
  'warning', 'no_entry', 'no_entry_sign', 'stop_sign', 'hourglass', 'hourglass_flowing_sand', 'stopwatch',
  'timer', 'alarm_clock', 'robot', 'gear', 'wrench', 'hammer', 'tools', 'construction', 'bug', 'fire',
  'zap', 'star', 'sparkles', 'bulb', 'memo', 'pencil', 'pencil2', 'speech_balloon', 'thought_balloon',
  'question', 'grey_question', 'exclamation', 'heavy_exclamation_mark', 'information_source', 'mag',
  'mag_right', 'clipboard', 'pushpin', 'lock', 'unlock', 'key', 'recycle', 'arrows_counterclockwise',
  'repeat', 'arrow_forward', 'fast_forward', 'pause_button', 'stop_button', 'checkered_flag',
  'trophy', 'medal', '100', 'ok_hand', 'clap', 'pray', 'muscle', 'wave', 'raised_hands', 'point_up',
  'thinking', 'thinking_face', 'slight_smile', 'slightly_smiling_face', 'frowning', 'cry', 'sob', 'sweat_smile',
  'joy', 'scream', 'skull', 'ghost', 'see_no_evil', 'heavy_plus_sign', 'heavy_minus_sign', 'red_circle',
  'large_blue_circle', 'green_circle', 'yellow_circle', 'orange_circle', 'white_circle', 'black_circle',
  'cookie', 'coffee', 'beer', 'pizza', 'sunny', 'cloud', 'umbrella', 'snowflake', 'rainbow', 'dart',
  'package', 'inbox_tray', 'outbox_tray', 'email', 'bell', 'no_bell', 'link', 'paperclip', 'calendar',
];
