// A real OpenID Connect provider on loopback for the single sign-on tests (tests/web/test_sso.py).
//
// panva's oidc-provider (OpenID Certified, MIT) with: one static confidential client, test accounts
// whose claims carry the organisation and role (innexport_org, innexport_role), a login form that
// checks their passwords, consent granted for the one first-party client, RP-initiated logout.
//
// Usage: node provider.mjs CONFIG.json. The configuration holds {client: {client_id, client_secret,
// redirect_uris, post_logout_redirect_uris}, accounts: {login: {password, claims}}}. The server
// listens on 127.0.0.1 on a port the system chooses and prints one line, `READY <issuer>`, when it
// can answer; it stops on SIGTERM or when its standard input closes (the test process died).
import { generateKeyPairSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = config.accounts;

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title, body) => `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head>`
  + `<body><h1>${escape(title)}</h1>${body}</body></html>`;

function samePassword(given, expected) {
  const a = Buffer.from(String(given ?? ''));
  const b = Buffer.from(String(expected));
  return a.length === b.length && timingSafeEqual(a, b);
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 10000) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

function loginForm(uid, error) {
  return page('Sign in to the test identity provider',
    (error ? `<p role="alert" id="error">${escape(error)}</p>` : '')
    + `<form method="post" action="/interaction/${escape(uid)}/login">`
    + '<label>Login <input name="login" id="login" autocomplete="username" required autofocus></label>'
    + '<label>Password <input name="password" id="password" type="password" required></label>'
    + '<button type="submit" id="sign-in">Sign in</button></form>');
}

const server = http.createServer();
await new Promise((resolve) => { server.listen(0, '127.0.0.1', resolve); });
const issuer = `http://127.0.0.1:${server.address().port}`;

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const provider = new Provider(issuer, {
  clients: [{ ...config.client, grant_types: ['authorization_code'], response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic' }],
  jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' }] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username'],
    innexport: ['innexport_org', 'innexport_role'],
  },
  features: { devInteractions: { enabled: false }, rpInitiatedLogout: {
    enabled: true,
    logoutSource: async (ctx, form) => {
      ctx.body = page('Sign out of the test identity provider', `${form}`
        + '<button type="submit" form="op.logoutForm" value="yes" name="logout" id="sign-out">Yes, sign me out</button>');
    },
  } },
  findAccount: async (ctx, sub) => (accounts[sub] ? {
    accountId: sub,
    claims: async () => ({ sub, ...accounts[sub].claims }),
  } : undefined),
  pkce: { required: () => true },
  ttl: { Session: 3600, Interaction: 600, Grant: 3600, AccessToken: 600, AuthorizationCode: 60, IdToken: 600 },
});
const callback = provider.callback();

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name === 'consent') {
    // the one first-party client: its scopes and claims are granted without asking
    const grant = details.grantId ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    if (details.prompt.details.missingOIDCScope) grant.addOIDCScope(details.prompt.details.missingOIDCScope.join(' '));
    if (details.prompt.details.missingOIDCClaims) grant.addOIDCClaims(details.prompt.details.missingOIDCClaims);
    await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } },
      { mergeWithLastSubmission: true });
    return;
  }
  if (req.method === 'POST' && action === 'login') {
    const form = await readForm(req);
    const login = form.get('login') ?? '';
    if (Object.hasOwn(accounts, login) && samePassword(form.get('password'), accounts[login].password)) {
      await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(loginForm(uid, 'Wrong login or password.'));
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(loginForm(uid, ''));
}

server.on('request', (req, res) => {
  const match = /^\/interaction\/([\w-]+)(?:\/(login))?$/.exec(req.url.split('?')[0]);
  if (!match) {
    callback(req, res);
    return;
  }
  interaction(req, res, match[1], match[2]).catch((error) => {
    res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(`interaction failed: ${error.message}`);
  });
});

process.on('SIGTERM', () => { server.close(); process.exit(0); });
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
process.stdout.write(`READY ${issuer}\n`);
