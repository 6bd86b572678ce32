using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace TokenAuth.Emulator;

/// <summary>
/// An OpenID Connect authorization server for people, under /people: discovery, /authorize with a login form and a
/// consent step, the device authorization grant with its /device verification page (RFC 8628), PKCE (S256 only),
/// ID tokens, userinfo and refresh tokens that rotate (a used one is refused with invalid_grant). Its client is
/// <see cref="PeopleClientId"/>: public (no secret), or confidential with a signed assertion at the token endpoint when
/// a key is registered for it in <see cref="EmulatorOptions.AssertionCertificates"/> (then it must); its people are
/// <see cref="People"/>. Errors on demand through the usual faults (people/token answering slow_down, say); the device
/// poll interval and code lifetime are set at POST /_emulator/people. /people-impostor serves a discovery document whose issuer is not its own address.
/// </summary>
public sealed partial class ProviderEmulator
{
    public const string PeopleClientId = "tokenauth-cli";

    /// <summary>User name to (password, display name, e-mail).</summary>
    public static readonly IReadOnlyDictionary<string, (string Password, string Name, string Email)> People = new Dictionary<string, (string, string, string)>
    {
        ["alice"] = ("alice-password", "Alice Example", "alice@example.test"),
        ["bob"] = ("bob-password", "Bob Example", "bob@example.test"),
    };

    private readonly ConcurrentDictionary<string, PendingAuthorization> _pendingAuthorizations = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PendingAuthorization> _authorizationCodes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DeviceGrant> _deviceGrants = new(StringComparer.Ordinal);
    // Codes, device codes, verifiers and ID tokens seen or issued: what must never show up anywhere on the client's side.
    private readonly ConcurrentQueue<string> _signInSecrets = new();
    // The scope each people's refresh token was granted: a refresh that names none keeps it (RFC 6749 §6).
    private readonly ConcurrentDictionary<string, string> _refreshScopes = new(StringComparer.Ordinal);
    private int _deviceInterval = 5;
    private int _deviceCodeSeconds = 600;

    /// <summary>Every code, device code, PKCE verifier and ID token of a sign-in, and the people's refresh and access tokens.</summary>
    public IReadOnlyCollection<string> SignInSecrets =>
        _signInSecrets.Concat(_refreshTokens.Where(pair => pair.Value.Provider == "people").Select(pair => pair.Key))
            .Concat(_tokens.Where(pair => pair.Value.Provider == "people").Select(pair => pair.Key)).ToList();

    private void MapSignIn(WebApplication app)
    {
        var people = app.MapGroup("/people");
        people.MapGet("/.well-known/openid-configuration", Endpoint("people", "discovery", context => Json(context, 200, Discovery(context, "/people"))));
        app.MapGet("/people-impostor/.well-known/openid-configuration", Endpoint("people", "discovery-impostor", context => Json(context, 200, Discovery(context, "/people"))));
        people.MapGet("/authorize", Endpoint("people", "authorize", Authorize));
        people.MapPost("/authorize", Endpoint("people", "login", Login));
        people.MapPost("/consent", Endpoint("people", "consent", Consent));
        people.MapPost("/device_authorization", Endpoint("people", "device_authorization", DeviceAuthorization));
        people.MapGet("/device", Endpoint("people", "device-page", context => Html(context, 200, "Enter your code",
            DeviceForm(context.Request.Query["user_code"].ToString()))));
        people.MapPost("/device", Endpoint("people", "device-verify", DeviceVerify));
        people.MapPost("/token", Endpoint("people", "token", PeopleToken));
        people.MapGet("/userinfo", Endpoint("people", "userinfo", context => Protected(context, "people", (token, ctx) => Json(ctx, 200, UserInfo(token.Identity)))));
        people.MapPost("/revoke", Endpoint("people", "revoke", async context =>
        {
            var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
            if (_tokens.TryGetValue(form["token"].ToString(), out var token))
            {
                token.Revoked = true;
            }
            else
            {
                RevokeRefreshToken("people", form["token"].ToString());
            }

            context.Response.StatusCode = 200;
        }));
        MapResources(app.MapGroup("/people/resources"), "people");
        app.MapPost("/_emulator/people", async context =>
        {
            var settings = await ReadJson(context).ConfigureAwait(false);
            _deviceInterval = (int?)settings?["interval"] ?? _deviceInterval;
            _deviceCodeSeconds = (int?)settings?["deviceCodeSeconds"] ?? _deviceCodeSeconds;
            await Json(context, 200, new JsonObject { ["interval"] = _deviceInterval, ["deviceCodeSeconds"] = _deviceCodeSeconds }).ConfigureAwait(false);
        });
        app.MapGet("/_emulator/people/secrets", context =>
            Json(context, 200, new JsonArray(SignInSecrets.Select(secret => (JsonNode?)JsonValue.Create(secret)).ToArray())));
    }

    private static JsonObject Discovery(HttpContext context, string path)
    {
        var issuer = $"{context.Request.Scheme}://{context.Request.Host}{path}";
        return new JsonObject
        {
            ["issuer"] = issuer,
            ["authorization_endpoint"] = issuer + "/authorize",
            ["token_endpoint"] = issuer + "/token",
            ["device_authorization_endpoint"] = issuer + "/device_authorization",
            ["userinfo_endpoint"] = issuer + "/userinfo",
            ["revocation_endpoint"] = issuer + "/revoke",
            ["response_types_supported"] = new JsonArray("code"),
            ["grant_types_supported"] = new JsonArray("authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"),
            ["code_challenge_methods_supported"] = new JsonArray("S256"),
            ["token_endpoint_auth_methods_supported"] = new JsonArray("none", "client_secret_post", "client_secret_basic"),
            ["scopes_supported"] = new JsonArray("openid", "profile", "email", "offline_access"),
        };
    }

    private async Task Authorize(HttpContext context)
    {
        var query = context.Request.Query;
        var redirect = query["redirect_uri"].ToString();
        if (query["client_id"] != PeopleClientId || !Uri.TryCreate(redirect, UriKind.Absolute, out var redirectUri)
            || !(redirectUri.Scheme == "http" && IPAddress.TryParse(redirectUri.Host, out var address) && IPAddress.IsLoopback(address)))
        {
            // Never redirect to an address that is not the client's: say so on the page (RFC 6749 §4.1.2.1).
            await Html(context, 400, "Invalid request", "Unknown client or a redirect_uri that is not a loopback address.").ConfigureAwait(false);
            return;
        }

        var state = query["state"].ToString();
        if (query["response_type"] != "code" || query["code_challenge_method"] != "S256" || query["code_challenge"].ToString().Length < 43)
        {
            Redirect(context, redirectUri, ("error", "invalid_request"), ("error_description", "PKCE with S256 is required"), ("state", state));
            return;
        }

        if (query["prompt"] == "none")
        {
            // The emulator keeps no browser session: nobody is signed in already.
            Redirect(context, redirectUri, ("error", "login_required"), ("state", state));
            return;
        }

        var pending = new PendingAuthorization(redirectUri, state, query["code_challenge"].ToString(), query["scope"].ToString(), query["nonce"].ToString());
        var id = NewOpaqueToken("ar_");
        _pendingAuthorizations[id] = pending;
        var hint = WebUtility.HtmlEncode(query["login_hint"].ToString());
        await Html(context, 200, "Sign in",
            $"<form method=\"post\" action=\"authorize\"><input type=\"hidden\" name=\"request\" value=\"{id}\">"
            + $"<label>User name <input name=\"username\" value=\"{hint}\"></label><label>Password <input type=\"password\" name=\"password\"></label>"
            + "<button type=\"submit\">Sign in</button></form>").ConfigureAwait(false);
    }

    private async Task Login(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        var id = form["request"].ToString();
        if (!_pendingAuthorizations.TryGetValue(id, out var pending))
        {
            await Html(context, 400, "Sign-in expired", "Start the sign-in again.").ConfigureAwait(false);
            return;
        }

        var user = form["username"].ToString();
        if (!People.TryGetValue(user, out var person) || person.Password != form["password"])
        {
            await Html(context, 401, "Sign in", "Wrong user name or password.").ConfigureAwait(false);
            return;
        }

        pending.User = user;
        await Html(context, 200, "Allow access?",
            $"<p>TokenAuth asks for: {WebUtility.HtmlEncode(pending.Scope)}</p><form method=\"post\" action=\"consent\"><input type=\"hidden\" name=\"request\" value=\"{id}\">"
            + "<button name=\"decision\" value=\"allow\">Allow</button><button name=\"decision\" value=\"deny\">Deny</button></form>").ConfigureAwait(false);
    }

    private async Task Consent(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        if (!_pendingAuthorizations.TryRemove(form["request"].ToString(), out var pending) || pending.User == null)
        {
            await Html(context, 400, "Sign-in expired", "Start the sign-in again.").ConfigureAwait(false);
            return;
        }

        if (form["decision"] != "allow")
        {
            Count("people", "consent-denied");
            Redirect(context, pending.RedirectUri, ("error", "access_denied"), ("error_description", "The user declined."), ("state", pending.State));
            return;
        }

        var code = NewOpaqueToken("ac_");
        _signInSecrets.Enqueue(code);
        pending.IssuedAt = Now;
        _authorizationCodes[code] = pending;
        Redirect(context, pending.RedirectUri, ("code", code), ("state", pending.State));
    }

    private async Task DeviceAuthorization(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        if (form["client_id"] != PeopleClientId)
        {
            await WriteError(context, "people", true, 401, "invalid_client", "Unknown client").ConfigureAwait(false);
            return;
        }

        var deviceCode = NewOpaqueToken("dc_");
        _signInSecrets.Enqueue(deviceCode);
        var userCode = UserCode();
        _deviceGrants[deviceCode] = new DeviceGrant(userCode, form["scope"].ToString(), Now + TimeSpan.FromSeconds(_deviceCodeSeconds));
        var verification = $"{context.Request.Scheme}://{context.Request.Host}/people/device";
        await Json(context, 200, new JsonObject
        {
            ["device_code"] = deviceCode,
            ["user_code"] = userCode,
            ["verification_uri"] = verification,
            ["verification_uri_complete"] = verification + "?user_code=" + userCode,
            ["expires_in"] = _deviceCodeSeconds,
            ["interval"] = _deviceInterval,
        }).ConfigureAwait(false);
    }

    private static string DeviceForm(string userCode) =>
        $"<form method=\"post\" action=\"device\"><label>Code <input name=\"user_code\" value=\"{WebUtility.HtmlEncode(userCode)}\"></label>"
        + "<label>User name <input name=\"username\"></label><label>Password <input type=\"password\" name=\"password\"></label>"
        + "<button name=\"decision\" value=\"allow\">Allow</button><button name=\"decision\" value=\"deny\">Deny</button></form>";

    private async Task DeviceVerify(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        var grant = _deviceGrants.Values.FirstOrDefault(grant => grant.UserCode == form["user_code"].ToString().Trim().ToUpperInvariant() && grant.State == "pending");
        if (grant == null || Now >= grant.ExpiresAt)
        {
            await Html(context, 400, "Unknown code", "That code is not valid or has expired.").ConfigureAwait(false);
            return;
        }

        var user = form["username"].ToString();
        if (!People.TryGetValue(user, out var person) || person.Password != form["password"])
        {
            await Html(context, 401, "Sign in", "Wrong user name or password.").ConfigureAwait(false);
            return;
        }

        grant.User = user;
        grant.State = form["decision"] == "allow" ? "approved" : "denied";
        await Html(context, 200, grant.State == "approved" ? "Device signed in" : "Access denied", "You can close this window.").ConfigureAwait(false);
    }

    private async Task PeopleToken(HttpContext context)
    {
        if (!context.Request.HasFormContentType)
        {
            await WriteError(context, "people", true, 400, "invalid_request", "The request must be a form.").ConfigureAwait(false);
            return;
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        if (form["client_id"] != PeopleClientId)
        {
            await WriteError(context, "people", true, 401, "invalid_client", "Unknown client").ConfigureAwait(false);
            return;
        }

        // A confidential client proves who it is with a signed assertion (a key registered in AssertionCertificates), as on the OAuth2 server.
        if (form.ContainsKey("client_assertion_type"))
        {
            if (AssertionRefusal(context, form, "/people/token") is { } refusal)
            {
                Count("people", "assertion-refused");
                await WriteError(context, "people", true, 401, "invalid_client", refusal).ConfigureAwait(false);
                return;
            }

            Count("people", "assertion-accepted");
        }
        else if (_options.AssertionCertificates.ContainsKey(PeopleClientId))
        {
            await WriteError(context, "people", true, 401, "invalid_client", "This client authenticates with a signed assertion").ConfigureAwait(false);
            return;
        }

        switch (form["grant_type"].ToString())
        {
            case "authorization_code":
                var verifier = form["code_verifier"].ToString();
                _signInSecrets.Enqueue(verifier);
                if (!_authorizationCodes.TryRemove(form["code"].ToString(), out var pending) || Now - pending.IssuedAt > TimeSpan.FromMinutes(1)
                    || form["redirect_uri"] != pending.RedirectUri.AbsoluteUri)
                {
                    await WriteError(context, "people", true, 400, "invalid_grant", "The authorization code is invalid, used or expired.").ConfigureAwait(false);
                    return;
                }

                if (PkceChallenge(verifier) != pending.CodeChallenge)
                {
                    Count("people", "pkce-refused");
                    await WriteError(context, "people", true, 400, "invalid_grant", "The code verifier does not match the code challenge.").ConfigureAwait(false);
                    return;
                }

                Count("people", "sign-in");
                await IssuePersonTokens(context, pending.User!, pending.Scope, pending.Nonce).ConfigureAwait(false);
                return;
            case "urn:ietf:params:oauth:grant-type:device_code":
                if (!_deviceGrants.TryGetValue(form["device_code"].ToString(), out var grant))
                {
                    await WriteError(context, "people", true, 400, "invalid_grant", "Unknown device code.").ConfigureAwait(false);
                    return;
                }

                if (Now >= grant.ExpiresAt)
                {
                    await WriteError(context, "people", true, 400, "expired_token", "The device code has expired.").ConfigureAwait(false);
                    return;
                }

                switch (grant.State)
                {
                    case "pending":
                        await WriteError(context, "people", true, 400, "authorization_pending", "The user has not finished yet.").ConfigureAwait(false);
                        return;
                    case "denied":
                        await WriteError(context, "people", true, 400, "access_denied", "The user declined.").ConfigureAwait(false);
                        return;
                    case "used":
                        await WriteError(context, "people", true, 400, "invalid_grant", "The device code was used already.").ConfigureAwait(false);
                        return;
                }

                grant.State = "used";
                Count("people", "sign-in");
                await IssuePersonTokens(context, grant.User!, grant.Scope, null).ConfigureAwait(false);
                return;
            case "refresh_token":
                Count("people", "refresh");
                if (!_refreshTokens.TryGetValue(form["refresh_token"].ToString(), out var refresh) || refresh.Provider != "people"
                    || Interlocked.Exchange(ref refresh.Used, 1) == 1)
                {
                    await WriteError(context, "people", true, 400, "invalid_grant", "The refresh token is invalid or was used already.").ConfigureAwait(false);
                    return;
                }

                var refreshScope = form["scope"].ToString() is { Length: > 0 } asked ? asked : _refreshScopes.GetValueOrDefault(form["refresh_token"].ToString(), "");
                await IssuePersonTokens(context, refresh.Identity, refreshScope, null).ConfigureAwait(false);
                return;
            default:
                await WriteError(context, "people", true, 400, "unsupported_grant_type", "Not a grant this server takes.").ConfigureAwait(false);
                return;
        }
    }

    private async Task IssuePersonTokens(HttpContext context, string user, string scope, string? nonce)
    {
        var lifetime = LifetimeOf("people");
        var token = Issue("people", user, lifetime, scope.Length == 0 ? null : scope, jwt: true, out var expiresAt);
        var claims = UserInfo(user);
        claims["iss"] = $"{context.Request.Scheme}://{context.Request.Host}/people";
        claims["aud"] = PeopleClientId;
        claims["iat"] = Now.ToUnixTimeSeconds();
        claims["exp"] = expiresAt.ToUnixTimeSeconds();
        if (!string.IsNullOrEmpty(nonce))
        {
            claims["nonce"] = nonce;
        }

        var refreshToken = IssueRefreshToken("people", user);
        _refreshScopes[refreshToken] = scope;
        var idToken = Jwt.Write("""{"alg":"HS256","typ":"JWT"}""", claims, input => HMACSHA256.HashData(_signingKey, input));
        _signInSecrets.Enqueue(idToken);
        await Json(context, 200, new JsonObject
        {
            ["access_token"] = token,
            ["token_type"] = "Bearer",
            ["expires_in"] = (long)lifetime.TotalSeconds,
            ["refresh_token"] = refreshToken,
            ["id_token"] = idToken,
            ["scope"] = scope,
        }).ConfigureAwait(false);
    }

    private static JsonObject UserInfo(string user)
    {
        var person = People.TryGetValue(user, out var known) ? known : ("", user, user + "@example.test");
        return new JsonObject
        {
            ["sub"] = "user_" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(user)))[..12].ToLowerInvariant(),
            ["preferred_username"] = user,
            ["name"] = person.Item2,
            ["email"] = person.Item3,
        };
    }

    private static string UserCode()
    {
        const string letters = "BCDFGHJKLMNPQRSTVWXZ";
        var code = new char[9];
        for (var i = 0; i < code.Length; i++)
        {
            code[i] = i == 4 ? '-' : letters[RandomNumberGenerator.GetInt32(letters.Length)];
        }

        return new string(code);
    }

    private static void Redirect(HttpContext context, Uri redirectUri, params (string Name, string Value)[] query)
    {
        var separator = redirectUri.Query.Length > 0 ? "&" : "?";
        context.Response.StatusCode = 302;
        context.Response.Headers.Location = redirectUri.AbsoluteUri + separator
            + string.Join("&", query.Where(pair => pair.Value.Length > 0).Select(pair => Uri.EscapeDataString(pair.Name) + "=" + Uri.EscapeDataString(pair.Value)));
    }

    private static Task Html(HttpContext context, int status, string title, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html; charset=utf-8";
        return context.Response.WriteAsync($"<!DOCTYPE html><html><head><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>", context.RequestAborted);
    }

    private static string PkceChallenge(string verifier) => System.Buffers.Text.Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));

    private sealed class PendingAuthorization(Uri redirectUri, string state, string codeChallenge, string scope, string nonce)
    {
        public Uri RedirectUri { get; } = redirectUri;

        public string State { get; } = state;

        public string CodeChallenge { get; } = codeChallenge;

        public string Scope { get; } = scope;

        public string Nonce { get; } = nonce;

        public string? User { get; set; }

        public DateTimeOffset IssuedAt { get; set; }
    }

    private sealed class DeviceGrant(string userCode, string scope, DateTimeOffset expiresAt)
    {
        public string UserCode { get; } = userCode;

        public string Scope { get; } = scope;

        public DateTimeOffset ExpiresAt { get; } = expiresAt;

        public volatile string State = "pending";

        public string? User { get; set; }
    }
}
