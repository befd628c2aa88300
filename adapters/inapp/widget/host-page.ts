// A page of "the vendor's app" with the widget on it, as a vendor would write one: the demo serves it, and the
// browser tests load it from another origin. The token is minted by the page's server, as the vendor's backend does.
export interface HostPage {
  /** Where the service is: the script and the API. */
  serviceUrl: string;
  token: string;
  /** Where the page gets a fresh token when the widget says its token expired (the vendor's own endpoint). */
  tokenUrl?: string;
  userName: string;
  inline?: boolean;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function hostPage(p: HostPage): string {
  const refresh = p.tokenUrl
    ? `<script>
document.querySelector('switchboard-chat').addEventListener('switchboard-token-expired', async (e) => {
  const res = await fetch(${JSON.stringify(p.tokenUrl)}, { credentials: 'same-origin' });
  if (res.ok) e.target.setAttribute('token', (await res.json()).token);
});
</script>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme Analytics</title>
<style>
  :root { color-scheme: light dark; font: 16px/1.5 system-ui, sans-serif; }
  body { margin: 0; background: Canvas; color: CanvasText; }
  header { display: flex; justify-content: space-between; align-items: center; padding: 14px 24px; border-bottom: 1px solid #8884; }
  main { padding: 24px; max-width: 760px; }
  .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 12px; }
  .card { padding: 16px; border: 1px solid #8884; border-radius: 12px; }
  .card b { display: block; font-size: 26px; }
  ${p.inline ? 'switchboard-chat { display: block; height: 560px; margin-top: 24px; }' : ''}
</style>
<script src="${esc(p.serviceUrl)}/widget.js" defer></script>
</head>
<body>
<header><strong>Acme Analytics</strong><span>Signed in as ${esc(p.userName)}</span></header>
<main>
  <h1>Dashboard</h1>
  <div class="cards">
    <div class="card">Visits today<b>12,480</b></div>
    <div class="card">Conversions<b>0</b></div>
    <div class="card">Revenue<b>$0.00</b></div>
  </div>
  <p>Conversions stopped at 09:12. Something is wrong: ask support with the chat${p.inline ? ' below' : ' (bottom right)'}.</p>
  <switchboard-chat token="${esc(p.token)}" endpoint="${esc(p.serviceUrl)}" heading="Acme Analytics support"${p.inline ? ' inline' : ' open'}></switchboard-chat>
</main>
${refresh}
</body>
</html>
`;
}
