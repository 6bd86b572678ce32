using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace TokenAuth.Emulator;

/// <summary>
/// Grants that take a token another issuer signed as their subject: RFC 8693 token exchange and RFC 7523 2.1's
/// JWT-bearer grant at /oauth2/exchange, HashiCorp Vault's JWT login at /vault/v1/auth/MOUNT/login, and a Kubernetes
/// issuer of projected service-account tokens (/kubernetes/token) for the file source. Each checks the grant's
/// fields and the subject's signature, audience and time; a pipeline's token must be fresh (its jti unseen). Also the
/// API challenges of RFC 6750, RFC 9470 and Entra ID's claims challenge, on demand, at /oauth2/resources/challenged.
/// </summary>
public sealed partial class ProviderEmulator
{
    public const string TokenExchangeGrant = "urn:ietf:params:oauth:grant-type:token-exchange";
    public const string JwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    public const string JwtTokenType = "urn:ietf:params:oauth:token-type:jwt";

    /// <summary>The audience the exchange endpoint accepts subject and actor tokens for.</summary>
    public const string ExchangeAudience = "tokenauth-exchange";

    /// <summary>The audience Vault's JWT auth method is bound to, and the one role it knows.</summary>
    public const string VaultAudience = "vault";
    public const string VaultRole = "tokenauth-ci";

    public const string KubernetesSubject = "system:serviceaccount:ci:runner";

    private readonly ConcurrentQueue<Challenge> _challenges = new();
    private readonly ConcurrentDictionary<string, string> _claimsOfToken = new(StringComparer.Ordinal);

    private sealed record Challenge(int Status, string Header, bool UnlessClaims);

    private void MapTokenExchange(WebApplication app)
    {
        app.MapPost("/oauth2/exchange", Endpoint("oauth2", "exchange", OAuth2Exchange));
        app.MapPost("/vault/v1/auth/{mount}/login", Endpoint("vault", "login", VaultLogin));
        app.MapGet("/vault/v1/secret/data/{name}", Endpoint("vault", "secret", VaultSecret));
        // A redirect for a request with a Vault token, to wherever "to" says (for off-origin tests).
        app.MapGet("/vault/v1/redirect", Endpoint("vault", "redirect", context =>
        {
            context.Response.StatusCode = context.Request.Headers["X-Vault-Token"].Count > 0 ? 302 : 403;
            context.Response.Headers.Location = context.Request.Query["to"].ToString();
            return Task.CompletedTask;
        }));
        app.MapGet("/kubernetes/token", Endpoint("kubernetes", "token", context =>
        {
            var audience = context.Request.Query["audience"].ToString();
            return Json(context, 200, new JsonObject { ["token"] = NewOidcToken("kubernetes", KubernetesSubject, audience.Length == 0 ? ExchangeAudience : audience) });
        }));
        app.MapGet("/oauth2/resources/challenged", Endpoint("oauth2", "challenged", context => Protected(context, "oauth2", Challenged)));
        app.MapDelete("/_emulator/challenges", context =>
        {
            _challenges.Clear();
            return Json(context, 200, new JsonObject { ["queued"] = 0 });
        });
        app.MapPost("/_emulator/challenges", async context =>
        {
            var body = await ReadJson(context).ConfigureAwait(false);
            var times = (int?)body?["times"] ?? 1;
            for (var i = 0; i < times; i++)
            {
                _challenges.Enqueue(new Challenge((int?)body?["status"] ?? 401, Text(body, "header") ?? "Bearer", (bool?)body?["unlessClaims"] ?? false));
            }

            await Json(context, 200, new JsonObject { ["queued"] = _challenges.Count }).ConfigureAwait(false);
        });
    }

    /// <summary>RFC 8693 token exchange or RFC 7523 2.1's JWT-bearer grant; a client secret, when sent, must be the client's.</summary>
    private async Task OAuth2Exchange(HttpContext context)
    {
        var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false) : null;
        var grant = form?["grant_type"].ToString();
        var expected = CredentialOf("oauth2");
        if (form == null || (form.ContainsKey("client_secret") && (form["client_id"] != expected.ClientId || form["client_secret"] != expected.ClientSecret)))
        {
            await WriteError(context, "oauth2", true, 401, "invalid_client", "Client authentication failed").ConfigureAwait(false);
            return;
        }

        string? refusal;
        string? subject = null;
        if (grant == TokenExchangeGrant)
        {
            refusal = form["subject_token_type"] != JwtTokenType ? $"subject_token_type must be {JwtTokenType}"
                : form.ContainsKey("actor_token") && form["actor_token_type"] != JwtTokenType ? $"actor_token_type must be {JwtTokenType} with an actor_token"
                : !form.ContainsKey("actor_token") && form.ContainsKey("actor_token_type") ? "actor_token_type goes with an actor_token"
                : GrantTokenRefusal(form["subject_token"].ToString(), ExchangeAudience, "subject_token", out subject)
                    ?? (form.ContainsKey("actor_token") ? GrantTokenRefusal(form["actor_token"].ToString(), ExchangeAudience, "actor_token", out _) : null);
        }
        else if (grant == JwtBearerGrant)
        {
            refusal = form.ContainsKey("subject_token") ? "subject_token goes with token exchange, not the JWT-bearer grant"
                : GrantTokenRefusal(form["assertion"].ToString(), ExchangeAudience, "assertion", out subject);
        }
        else
        {
            await WriteError(context, "oauth2", true, 400, "unsupported_grant_type", $"grant_type must be {TokenExchangeGrant} or {JwtBearerGrant}").ConfigureAwait(false);
            return;
        }

        if (refusal != null)
        {
            Count("oauth2", "exchange-refused");
            await WriteError(context, "oauth2", true, 400, "invalid_grant", refusal).ConfigureAwait(false);
            return;
        }

        Count("oauth2", grant == TokenExchangeGrant ? (form.ContainsKey("actor_token") ? "exchange-accepted-with-actor" : "exchange-accepted") : "jwt-bearer-accepted");
        var lifetime = LifetimeOf("oauth2");
        var token = Issue("oauth2", subject!, lifetime, null, jwt: true, out _);
        await Json(context, 200, new JsonObject
        {
            ["access_token"] = token, ["issued_token_type"] = "urn:ietf:params:oauth:token-type:access_token", ["token_type"] = "Bearer", ["expires_in"] = (long)lifetime.TotalSeconds,
        }).ConfigureAwait(false);
    }

    /// <summary>Vault's JWT auth method: JSON {role, jwt}; the Vault token at auth.client_token, its lifetime at auth.lease_duration.</summary>
    private async Task VaultLogin(HttpContext context)
    {
        var body = await ReadJson(context).ConfigureAwait(false);
        var role = Text(body, "role");
        var jwt = Text(body, "jwt");
        var refusal = role != VaultRole ? $"role \"{role}\" could not be found"
            : body is JsonObject fields && fields.Count != 2 ? "only role and jwt are expected"
            : GrantTokenRefusal(jwt, VaultAudience, "jwt", out _);
        if (refusal != null)
        {
            Count("vault", "login-refused");
            await Json(context, 400, new JsonObject { ["errors"] = new JsonArray(refusal) }).ConfigureAwait(false);
            return;
        }

        Count("vault", "login-accepted");
        var lifetime = LifetimeOf("vault");
        var token = "hvs." + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', 'A').Replace('/', 'B').TrimEnd('=');
        _tokens[token] = new IssuedToken("vault", role!, Now + lifetime, null);
        await Json(context, 200, new JsonObject
        {
            ["request_id"] = Guid.NewGuid().ToString(),
            ["auth"] = new JsonObject
            {
                ["client_token"] = token, ["accessor"] = Guid.NewGuid().ToString("N"), ["policies"] = new JsonArray("default", "ci-read"),
                ["lease_duration"] = (long)lifetime.TotalSeconds, ["renewable"] = true,
            },
        }).ConfigureAwait(false);
    }

    /// <summary>A KV v2 read: the Vault token in X-Vault-Token, or as a Bearer token, as Vault takes either.</summary>
    private Task VaultSecret(HttpContext context)
    {
        var header = context.Request.Headers["X-Vault-Token"].ToString();
        var authorization = context.Request.Headers.Authorization.ToString();
        var presented = header.Length > 0 ? header : authorization.StartsWith("Bearer ", StringComparison.Ordinal) ? authorization[7..] : "";
        if (!_tokens.TryGetValue(presented, out var token) || token.Provider != "vault" || token.Revoked || Now >= token.ExpiresAt)
        {
            return Json(context, 403, new JsonObject { ["errors"] = new JsonArray("permission denied") });
        }

        Count("vault", header.Length > 0 ? "secret-by-x-vault-token" : "secret-by-bearer");

        return Json(context, 200, new JsonObject
        {
            ["data"] = new JsonObject { ["data"] = new JsonObject { ["name"] = context.Request.RouteValues["name"]?.ToString(), ["role"] = token.Identity } },
        });
    }

    /// <summary>The next queued challenge, or the resource, with the claims the token was asked with.</summary>
    private Task Challenged(IssuedToken token, HttpContext context)
    {
        var presented = context.Request.Headers.Authorization.ToString()[7..].Trim();
        var claims = _claimsOfToken.TryGetValue(presented, out var asked) ? asked : null;
        while (_challenges.TryDequeue(out var challenge))
        {
            if (challenge.UnlessClaims && claims != null)
            {
                continue;
            }

            context.Response.Headers.WWWAuthenticate = challenge.Header;
            return Json(context, challenge.Status, new JsonObject { ["error"] = "challenged" });
        }

        return Json(context, 200, new JsonObject { ["id"] = "challenged", ["claims"] = claims });
    }

    /// <summary>Keeps the claims a token was asked with (the claims field of its token request), for <see cref="Challenged"/>.</summary>
    private void RememberClaims(string token, IFormCollection form)
    {
        if (form.TryGetValue("claims", out var claims))
        {
            _claimsOfToken[token] = claims.ToString();
        }
    }

    /// <summary>
    /// Why a grant's token is refused, or null: an RS256 JWT from one of the emulated issuers (the pipelines', the
    /// Kubernetes one), for <paramref name="audience"/>, within its time; a pipeline's token never seen before.
    /// </summary>
    private string? GrantTokenRefusal(string? text, string audience, string field, out string? subject)
    {
        subject = null;
        if (string.IsNullOrEmpty(text) || Jwt.Read(text) is not { } token)
        {
            return $"{field} is missing or not a JWT";
        }

        if ((string?)token.Header?["alg"] != "RS256" || !_oidcKey.VerifyData(token.SigningInput, token.Signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
        {
            return $"{field}'s signature does not verify with its issuer's key";
        }

        var claims = token.Claims;
        var issuer = (string?)claims?["iss"];
        if (!IsPipelineIssuer(issuer) && issuer != IssuerOf("kubernetes"))
        {
            return $"{field} is from an issuer this server does not trust";
        }

        if ((string?)claims?["aud"] != audience)
        {
            return $"{field}'s audience must be {audience}";
        }

        subject = (string?)claims?["sub"];
        Count(issuer == IssuerOf("kubernetes") ? "kubernetes" : "pipeline", "subject-" + (string?)claims?["jti"]);
        if (issuer == IssuerOf("kubernetes"))
        {
            // A projected token is reused for its lifetime: only its time is checked.
            var now = Now.ToUnixTimeSeconds();
            return claims?["exp"]?.GetValue<long>() is { } expires && expires >= now - 30 ? null : $"{field} has expired";
        }

        return TimeOrReplayRefusal(issuer!, claims);
    }
}
