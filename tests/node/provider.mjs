// A real OpenID Connect provider (oidc-provider) on loopback, for the web tests only.
// Started by tests/oidcserver.py; configured from the environment:
//   OIDC_PORT, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET,
//   OIDC_REDIRECT_URIS (comma-separated),
//   OIDC_ACCOUNTS (path to {"<login>": {"email": ..., "name": ..., "groups": [...]}}),
//   OIDC_TTL_SECONDS (optional: lifetime of ID and access tokens).
// One confidential client (client_secret_basic or client_secret_post), authorization code
// flow with PKCE S256 required; the ID token carries email, name and groups (as Microsoft
// Entra puts groups in the ID token). Own plain-HTML login page; consent is automatic.
// Prints "ready" on stdout once listening; exits on SIGTERM/SIGINT.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

import Provider, { errors } from 'oidc-provider';

// oidc-provider 9 needs Node.js 20.12 or later (it warns "Unsupported runtime" below 22: harmless)
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 12)) {
  process.stderr.write(`provider.mjs: Node.js ${process.versions.node} is too old; 20.12 or later is needed\n`);
  process.exit(2);
}

function env(name) {
  const value = process.env[name];
  if (!value) {
    process.stderr.write(`provider.mjs: ${name} is not set\n`);
    process.exit(2);
  }
  return value;
}

const port = Number(env('OIDC_PORT'));
const clientId = env('OIDC_CLIENT_ID');
const clientSecret = env('OIDC_CLIENT_SECRET');
const redirectUris = env('OIDC_REDIRECT_URIS').split(',').map((s) => s.trim()).filter(Boolean);
const accounts = JSON.parse(readFileSync(env('OIDC_ACCOUNTS'), 'utf8'));
const ttlSeconds = process.env.OIDC_TTL_SECONDS ? Number(process.env.OIDC_TTL_SECONDS) : undefined;
const issuer = `http://127.0.0.1:${port}`;

const signingKey = {
  ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
  kid: 'test-rs256',
  alg: 'RS256',
  use: 'sig',
};

const configuration = {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: redirectUris,
    // after RP-initiated logout: back to a redirect URI or to the root of its origin
    post_logout_redirect_uris: [...new Set([...redirectUris, ...redirectUris.map((u) => `${new URL(u).origin}/`)])],
    // 'web' accepts http:// redirect URIs for the code flow (only implicit needs https)
    application_type: 'web',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic', // client_secret_post works as well
  }],
  clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
  pkce: { required: () => true }, // only S256 is supported by oidc-provider 9
  responseTypes: ['code'],
  scopes: ['openid', 'email', 'profile'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    // as Microsoft Entra ID gives an app's groups claim without a scope of its own
    profile: ['name', 'groups'],
    sid: null,
    auth_time: null,
  },
  // the scopes' claims go into the ID token itself, not only into userinfo
  conformIdTokenClaims: false,
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  features: {
    devInteractions: { enabled: false },
    userinfo: { enabled: true },
    // RP-initiated logout (end_session_endpoint) with plain pages (the defaults load web fonts)
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.type = 'html';
        ctx.body = page('Afmelden', `<h1>Afmelden</h1>
${form}
<p><button type="submit" id="afmelden" form="op.logoutForm" name="logout" value="yes">Afmelden</button>
<button type="submit" id="blijven" form="op.logoutForm">Aangemeld blijven</button></p>`);
      },
      async postLogoutSuccessSource(ctx) {
        ctx.type = 'html';
        ctx.body = page('Afgemeld', '<h1>Afgemeld</h1><p>U bent afgemeld.</p>');
      },
    },
  },
  interactions: { url: async (_ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(_ctx, sub) {
    const account = Object.hasOwn(accounts, sub) ? accounts[sub] : undefined;
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          email: account.email,
          email_verified: account.email !== undefined,
          name: account.name,
          groups: account.groups ?? [],
        };
      },
    };
  },
  // Consent is given at once: the grant holds whatever OIDC scopes and claims are asked for.
  async loadExistingGrant(ctx) {
    const { oidc } = ctx;
    const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(oidc.client.clientId);
    let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
    if (!grant) {
      grant = new oidc.provider.Grant({ clientId: oidc.client.clientId, accountId: oidc.session.accountId });
    }
    grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' '));
    if (oidc.requestParamClaims?.size) grant.addOIDCClaims([...oidc.requestParamClaims]);
    await grant.save();
    return grant;
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Fout', `<h1>Fout</h1><p>${escape(out.error)}: ${escape(out.error_description ?? '')}</p>`);
  },
};
if (ttlSeconds !== undefined) {
  configuration.ttl = {
    IdToken: ttlSeconds,
    AccessToken: ttlSeconds,
    AuthorizationCode: 60,
    Interaction: 3600,
    Session: 14 * 24 * 3600,
    Grant: 14 * 24 * 3600,
  };
}

const provider = new Provider(issuer, configuration);

function escape(value) {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!doctype html>
<html lang="nl">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title></head>
<body><main>${body}</main></body>
</html>
`;
}

function loginPage(uid, error) {
  const alert = error ? `<p id="fout" role="alert">${escape(error)}</p>\n` : '';
  return page('Aanmelden', `<h1>Aanmelden</h1>
${alert}<form method="post" action="/interaction/${escape(uid)}">
<p><label for="login">Gebruiker</label>
<input type="text" id="login" name="login" autocomplete="username" autofocus></p>
<p><button type="submit" id="aanmelden" name="actie" value="aanmelden">Aanmelden</button>
<button type="submit" id="weigeren" name="actie" value="weigeren">Weigeren</button></p>
</form>`);
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 65536) throw new errors.InvalidRequest('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// The interaction pages, in front of the provider's own routes.
provider.use(async (ctx, next) => {
  const match = /^\/interaction\/([A-Za-z0-9_-]+)$/.exec(ctx.path);
  if (!match) return next();
  const { req, res } = ctx;
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'; base-uri 'none'");
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== match[1]) throw new errors.SessionNotFound('interaction mismatch');
  const { prompt } = details;

  if (ctx.method === 'GET') {
    if (prompt.name === 'login') {
      ctx.type = 'html';
      ctx.body = loginPage(details.uid);
      return undefined;
    }
    // any other prompt (consent): granted without a screen
    const grant = new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
    if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    const grantId = await grant.save();
    ctx.respond = false;
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  if (ctx.method === 'POST') {
    const form = await readForm(req);
    if (form.get('actie') === 'weigeren') {
      ctx.respond = false;
      return provider.interactionFinished(req, res, {
        error: 'access_denied',
        error_description: 'End-User aborted interaction',
      }, { mergeWithLastSubmission: false });
    }
    const login = (form.get('login') ?? '').trim();
    if (!Object.hasOwn(accounts, login)) {
      ctx.status = 200;
      ctx.type = 'html';
      ctx.body = loginPage(details.uid, login ? `Onbekende gebruiker: ${login}` : 'Vul een gebruiker in.');
      return undefined;
    }
    ctx.respond = false;
    return provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
  }

  ctx.status = 405;
  return undefined;
});

const server = provider.listen(port, '127.0.0.1', () => {
  process.stdout.write('ready\n');
});

function stop() {
  server.close(() => process.exit(0));
  server.closeAllConnections?.();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
