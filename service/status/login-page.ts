import { escape } from './render.js';

// The page a visitor without a session gets (with 401): a token field and nothing about the service.

export function renderLoginPage(message: string | null): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>claude-gitlab-flow status: sign in</title>
<style>body{font:16px/1.4 system-ui,sans-serif;margin:0 auto;padding:24px 12px;max-width:420px}input,button{font:inherit;width:100%;box-sizing:border-box;padding:8px;margin:6px 0}</style>
</head>
<body>
<h1>Status: sign in</h1>
${message ? `<p role="alert">${escape(message)}</p>` : ''}
<form method="post" action="/status/login">
<label for="token">Status token (STATUS_TOKEN)</label>
<input id="token" name="token" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
</body>
</html>
`;
}
