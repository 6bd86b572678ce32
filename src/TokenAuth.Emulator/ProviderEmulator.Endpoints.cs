using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;

namespace TokenAuth.Emulator;

public sealed partial class ProviderEmulator
{
    /// <summary>For a provider that demands a client certificate: 496 without one, 495 with one it does not accept (nginx's codes).</summary>
    private Task? RefuseWithoutClientCertificate(HttpContext context)
    {
        var segments = context.Request.Path.Value?.Split('/', 3);
        if (segments is not { Length: > 1 } || !_options.ClientCertificates.TryGetValue(segments[1], out var accepted))
        {
            return null;
        }

        var presented = context.Connection.ClientCertificate;
        if (presented != null && accepted.Contains(presented.Thumbprint))
        {
            return null;
        }

        Count(segments[1], presented == null ? "client-certificate-missing" : "client-certificate-refused");
        return presented == null
            ? Json(context, 496, new JsonObject { ["error"] = "client_certificate_required", ["error_description"] = "No required SSL certificate was sent." })
            : Json(context, 495, new JsonObject { ["error"] = "client_certificate_refused", ["error_description"] = $"The certificate {presented.Subject} is not registered." });
    }

    private void MapEndpoints(WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            if (context.Request.Headers.Authorization.Count > 0)
            {
                _authorizationHeadersSeen.TryAdd(context.Request.Headers.Authorization.ToString(), 0);
            }

            if (RefuseWithoutClientCertificate(context) is { } refusal)
            {
                await refusal.ConfigureAwait(false);
                return;
            }

            await next(context).ConfigureAwait(false);
        });

        // Akiba: JSON body with three fields; bearer tokens; revoke and who-am-I.
        var akiba = app.MapGroup("/akiba");
        akiba.MapPost("/authorization/token", Endpoint("akiba", "token", Gap("akiba", "token", AkibaToken)));
        if (_options.AsDocumented)
        {
            akiba.MapPost(AsDocumentedAkibaTokenPath, Endpoint("akiba", "token", AkibaToken));
        }

        akiba.MapPost("/authorization/revoke", Endpoint("akiba", "revoke", context => Revoke(context, "akiba")));
        akiba.MapGet("/authorization/whoami", Endpoint("akiba", "whoami", context => Protected(context, "akiba", (token, ctx) =>
            Json(ctx, 200, new JsonObject { ["client_id"] = token.Identity, ["name"] = "Demo Akiba client", ["status"] = "active" }))));

        // Kitegateway: api_key in the body, secret in Secret-Key; "JWT <token>" in data.token, absolute expiry.
        var kite = app.MapGroup("/kitegateway");
        kite.MapPost("/v1/auth/token", Endpoint("kitegateway", "token", KitegatewayToken));

        // Ankorstore: OAuth2 form body; who-am-I at /api/v1/me; JSON:API errors outside the token call.
        var ankorstore = app.MapGroup("/ankorstore");
        ankorstore.MapPost("/oauth/token", Endpoint("ankorstore", "token", AnkorstoreToken));
        ankorstore.MapGet("/api/v1/me", Endpoint("ankorstore", "whoami", context => Protected(context, "ankorstore", (token, ctx) =>
            Json(ctx, 200, new JsonObject
            {
                ["data"] = new JsonObject
                {
                    ["type"] = "user", ["id"] = 1234, ["email"] = "api@ankorstore.example", ["first_name"] = "Test", ["last_name"] = "Account",
                    ["created_at"] = "2020-01-28T11:26:35+00:00", ["updated_at"] = "2022-03-15T15:23:09+00:00",
                },
            }))));

        // CoreBanking: clientId/clientSecret of at most 100 characters; tokenType is the scheme.
        var coreBanking = app.MapGroup("/corebanking");
        coreBanking.MapPost("/api/auth/v1/authenticate", Endpoint("corebanking", "token", CoreBankingToken));

        // APIMW: {success, data}; single-use refresh tokens; revoke; who-am-I.
        var apimw = app.MapGroup("/apimw");
        apimw.MapPost("/v1/auth/token", Endpoint("apimw", "token", ApimwToken));
        apimw.MapPost("/v1/auth/refresh", Endpoint("apimw", "refresh", Gap("apimw", "refresh", ApimwRefresh)));
        apimw.MapPost("/v1/auth/revoke", Endpoint("apimw", "revoke", Gap("apimw", "revoke", context => Revoke(context, "apimw"))));
        apimw.MapGet("/v1/auth/me", Endpoint("apimw", "whoami", Gap("apimw", "whoami", context => Protected(context, "apimw", (token, ctx) =>
            Json(ctx, 200, new JsonObject
            {
                ["success"] = true,
                ["data"] = new JsonObject
                {
                    ["user"] = new JsonObject { ["id"] = "usr_demo", ["name"] = "Demo user" },
                    ["tenant"] = new JsonObject { ["id"] = "tn_demo", ["name"] = "Demo tenant" },
                    ["permissions"] = new JsonArray("payments:read", "payments:write"),
                },
            })))));

        // A plain OAuth2 server: client_secret_basic or client_secret_post, scope, RFC 7009 revocation.
        var oauth2 = app.MapGroup("/oauth2");
        oauth2.MapPost("/token", Endpoint("oauth2", "token", OAuth2Token));
        oauth2.MapPost("/revoke", Endpoint("oauth2", "revoke", OAuth2Revoke));
        oauth2.MapGet("/.well-known/openid-configuration", Endpoint("oauth2", "discovery", context =>
        {
            var issuer = $"{context.Request.Scheme}://{context.Request.Host}/oauth2";
            return Json(context, 200, new JsonObject
            {
                ["issuer"] = issuer,
                ["token_endpoint"] = issuer + "/token",
                ["authorization_endpoint"] = issuer + "/authorize",
                ["revocation_endpoint"] = issuer + "/revoke",
                ["jwks_uri"] = issuer + "/jwks",
                ["grant_types_supported"] = new JsonArray("client_credentials"),
                ["token_endpoint_auth_methods_supported"] = new JsonArray("client_secret_post", "client_secret_basic", "private_key_jwt"),
            });
        }));

        foreach (var provider in Providers)
        {
            MapResources(app.MapGroup("/" + provider + "/resources"), provider);
        }

        MapFederation(app);
        MapControl(app.MapGroup("/_emulator"));
    }

    private async Task AkibaToken(HttpContext context)
    {
        var body = await ReadJson(context).ConfigureAwait(false);
        var expected = CredentialOf("akiba");
        if (Text(body, "client_id") != expected.ClientId || Text(body, "client_secret") != expected.ClientSecret || Text(body, "client_credential") != expected.ClientCredential)
        {
            await WriteError(context, "akiba", true, 401, "invalid_client", "Client authentication failed.").ConfigureAwait(false);
            return;
        }

        var token = Issue("akiba", expected.ClientId!, LifetimeOf("akiba"), null, jwt: false, out _);
        await Json(context, 200, new JsonObject
        {
            ["access_token"] = token,
            ["token_type"] = "bearer",
            ["expires_in"] = (long)LifetimeOf("akiba").TotalSeconds,
            ["refresh_token"] = IssueRefreshToken("akiba", expected.ClientId!),
        }).ConfigureAwait(false);
    }

    private async Task KitegatewayToken(HttpContext context)
    {
        var body = await ReadJson(context).ConfigureAwait(false);
        var expected = CredentialOf("kitegateway");
        if (Text(body, "api_key") != expected.ApiKey || context.Request.Headers["Secret-Key"].ToString() != expected.ApiSecret)
        {
            await WriteError(context, "kitegateway", true, 401, "401", "Invalid API key or secret key").ConfigureAwait(false);
            return;
        }

        var lifetime = LifetimeOf("kitegateway");
        if (body?["expires_in"] is JsonValue requested)
        {
            if (!requested.TryGetValue<long>(out var seconds) || seconds <= 0)
            {
                await WriteError(context, "kitegateway", true, 400, "400", "expires_in must be a positive integer").ConfigureAwait(false);
                return;
            }

            lifetime = TimeSpan.FromSeconds(seconds);
        }

        var token = Issue("kitegateway", expected.ApiKey!, lifetime, null, jwt: true, out var expiresAt);
        await Json(context, 200, new JsonObject
        {
            ["code"] = 200,
            ["status"] = "success",
            ["message"] = "Token generated",
            ["data"] = new JsonObject { ["token"] = "JWT " + token, ["expires"] = expiresAt.ToUnixTimeSeconds() },
        }).ConfigureAwait(false);
    }

    private async Task AnkorstoreToken(HttpContext context)
    {
        if (!context.Request.HasFormContentType)
        {
            await WriteError(context, "ankorstore", true, 400, "invalid_request", "The request must be application/x-www-form-urlencoded.").ConfigureAwait(false);
            return;
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        if (form["grant_type"] != "client_credentials")
        {
            await WriteError(context, "ankorstore", true, 400, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server.").ConfigureAwait(false);
            return;
        }

        var expected = CredentialOf("ankorstore");
        if (form["client_id"] != expected.ClientId || form["client_secret"] != expected.ClientSecret)
        {
            await WriteError(context, "ankorstore", true, 401, "invalid_client", "Client authentication failed").ConfigureAwait(false);
            return;
        }

        var scope = form["scope"].ToString();
        var token = Issue("ankorstore", expected.ClientId!, LifetimeOf("ankorstore"), scope.Length == 0 ? null : scope, jwt: true, out _);
        await Json(context, 200, new JsonObject
        {
            ["token_type"] = "Bearer",
            ["expires_in"] = (long)LifetimeOf("ankorstore").TotalSeconds,
            ["access_token"] = token,
        }).ConfigureAwait(false);
    }

    private async Task CoreBankingToken(HttpContext context)
    {
        var body = await ReadJson(context).ConfigureAwait(false);
        var clientId = Text(body, "clientId");
        var clientSecret = Text(body, "clientSecret");
        if ((clientId?.Length ?? 0) > 100 || (clientSecret?.Length ?? 0) > 100)
        {
            await WriteError(context, "corebanking", true, 400, "Bad Request", "clientId and clientSecret are limited to 100 characters").ConfigureAwait(false);
            return;
        }

        var expected = CredentialOf("corebanking");
        if (clientId != expected.ClientId || clientSecret != expected.ClientSecret)
        {
            await WriteError(context, "corebanking", true, 401, "Unauthorized", "Bad credentials").ConfigureAwait(false);
            return;
        }

        var lifetime = LifetimeOf("corebanking");
        var token = Issue("corebanking", expected.ClientId!, lifetime, null, jwt: false, out var expiresAt);
        await Json(context, 200, new JsonObject
        {
            ["accessToken"] = token,
            ["tokenType"] = _options.CoreBankingTokenType,
            ["expirationTime"] = expiresAt.ToUnixTimeMilliseconds(),
            ["tokenValiditySec"] = (long)lifetime.TotalSeconds,
        }).ConfigureAwait(false);
    }

    private async Task ApimwToken(HttpContext context)
    {
        var body = await ReadJson(context).ConfigureAwait(false);
        var expected = CredentialOf("apimw");
        if (Text(body, "api_key") != expected.ApiKey || Text(body, "api_secret") != expected.ApiSecret)
        {
            await WriteError(context, "apimw", true, 401, "INVALID_CREDENTIALS", "Invalid API Key or Secret").ConfigureAwait(false);
            return;
        }

        await ApimwTokenPair(context, expected.ApiKey!).ConfigureAwait(false);
    }

    private async Task ApimwRefresh(HttpContext context)
    {
        var body = await ReadJson(context).ConfigureAwait(false);
        var refresh = Text(body, "refresh_token");
        if (refresh == null || !_refreshTokens.TryGetValue(refresh, out var grant) || grant.Provider != "apimw" || Interlocked.Exchange(ref grant.Used, 1) == 1)
        {
            await WriteError(context, "apimw", true, 401, "INVALID_REFRESH_TOKEN", "The refresh token is invalid or has already been used").ConfigureAwait(false);
            return;
        }

        await ApimwTokenPair(context, grant.Identity).ConfigureAwait(false);
    }

    private Task ApimwTokenPair(HttpContext context, string identity)
    {
        var lifetime = LifetimeOf("apimw");
        var token = Issue("apimw", identity, lifetime, null, jwt: true, out _);
        return Json(context, 200, new JsonObject
        {
            ["success"] = true,
            ["data"] = new JsonObject
            {
                ["access_token"] = token,
                ["token_type"] = "Bearer",
                ["expires_in"] = (long)lifetime.TotalSeconds,
                ["refresh_token"] = IssueRefreshToken("apimw", identity),
            },
        });
    }

    /// <summary>The client of an OAuth2 form request, authenticated by Basic header or body; null when it fails.</summary>
    private async Task<IFormCollection?> AuthenticatedOAuth2Form(HttpContext context)
    {
        var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false) : null;
        if (form != null && form.ContainsKey("client_assertion_type"))
        {
            var refusal = AssertionRefusal(context, form);
            if (refusal != null)
            {
                Count("oauth2", "assertion-refused");
                await WriteError(context, "oauth2", true, 401, "invalid_client", refusal).ConfigureAwait(false);
                return null;
            }

            Count("oauth2", "assertion-accepted");
            return form;
        }

        string? clientId = form?["client_id"];
        string? clientSecret = form?["client_secret"];
        var header = context.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            var pair = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim())).Split(':', 2);
            clientId = Uri.UnescapeDataString(pair[0]);
            clientSecret = pair.Length > 1 ? Uri.UnescapeDataString(pair[1]) : null;
        }

        var expected = CredentialOf("oauth2");
        if (form == null || clientId != expected.ClientId || clientSecret != expected.ClientSecret)
        {
            await WriteError(context, "oauth2", true, 401, "invalid_client", "Client authentication failed").ConfigureAwait(false);
            return null;
        }

        return form;
    }

    /// <summary>
    /// RFC 7523 3: why a client assertion is refused, or null: a JWT signed by a key registered for its issuer, for this
    /// token endpoint, within its time (30 s of skew), never seen before.
    /// </summary>
    private string? AssertionRefusal(HttpContext context, IFormCollection form)
    {
        if (form["client_assertion_type"] != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        {
            return "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
        }

        var parts = form["client_assertion"].ToString().Split('.');
        if (parts.Length != 3)
        {
            return "client_assertion is not a JWT";
        }

        JsonNode? header, claims;
        try
        {
            header = JsonNode.Parse(Base64UrlDecode(parts[0]));
            claims = JsonNode.Parse(Base64UrlDecode(parts[1]));
        }
        catch (Exception ex) when (ex is FormatException || ex is JsonException)
        {
            return "client_assertion is not a JWT";
        }

        var issuer = (string?)claims?["iss"];
        if (IsPipelineIssuer(issuer))
        {
            // A federated assertion: the client is named by client_id, the token by its issuer and subject.
            var client = form["client_id"].ToString();
            if (client.Length == 0)
            {
                return "client_id is required with a federated assertion";
            }

            return FederatedAssertionRefusal(client, header, claims, parts) ?? TimeOrReplayRefusal(issuer!, claims);
        }

        if (issuer == null || (string?)claims?["sub"] != issuer || (form.ContainsKey("client_id") && form["client_id"] != issuer))
        {
            return "iss and sub must both be the client id";
        }

        if (!_options.AssertionCertificates.TryGetValue(issuer, out var certificates))
        {
            return $"No client '{issuer}' authenticates with an assertion here";
        }

        var input = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
        var signature = Base64UrlDecode(parts[2]);
        var algorithm = (string?)header?["alg"];
        var verified = certificates.Any(certificate => algorithm switch
        {
            "RS256" => certificate.GetRSAPublicKey()?.VerifyData(input, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1) == true,
            "PS256" => certificate.GetRSAPublicKey()?.VerifyData(input, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pss) == true,
            "ES256" => certificate.GetECDsaPublicKey()?.VerifyData(input, signature, HashAlgorithmName.SHA256) == true,
            _ => false,
        });
        if (!verified)
        {
            return $"The assertion's signature ({algorithm}) does not verify with any key registered for '{issuer}'";
        }

        // The token endpoint is the audience, for a revoke request too (RFC 7523 3).
        var endpoint = $"{context.Request.Scheme}://{context.Request.Host}/oauth2/token";
        if ((string?)claims?["aud"] != endpoint)
        {
            return $"The assertion's audience must be this token endpoint, {endpoint}";
        }

        return TimeOrReplayRefusal(issuer, claims);
    }

    /// <summary>Why an assertion is refused for its time (30 s of skew) or a jti seen before, or null.</summary>
    private string? TimeOrReplayRefusal(string issuer, JsonNode? claims)
    {
        var now = _options.Clock.GetUtcNow().ToUnixTimeSeconds();
        if (claims?["exp"]?.GetValue<long>() is not { } expires || expires < now - 30 || claims["nbf"]?.GetValue<long>() > now + 30)
        {
            return "The assertion has expired or is not valid yet";
        }

        var jti = (string?)claims["jti"];
        if (string.IsNullOrEmpty(jti) || !_assertionIds.TryAdd(issuer + " " + jti, 0))
        {
            return "The assertion was used before (its jti is not new)";
        }

        return null;
    }

    private static byte[] Base64UrlDecode(string text)
    {
        var base64 = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '='));
    }

    private async Task OAuth2Token(HttpContext context)
    {
        if (await AuthenticatedOAuth2Form(context).ConfigureAwait(false) is not { } form)
        {
            return;
        }

        if (form["grant_type"] != "client_credentials")
        {
            await WriteError(context, "oauth2", true, 400, "unsupported_grant_type", "Only client_credentials is supported").ConfigureAwait(false);
            return;
        }

        var scope = form["scope"].ToString();
        var lifetime = LifetimeOf("oauth2");
        var client = form.ContainsKey("client_assertion") ? form["client_id"].ToString() : CredentialOf("oauth2").ClientId!;
        var token = Issue("oauth2", client, lifetime, scope.Length == 0 ? null : scope, jwt: true, out _);
        var body = new JsonObject { ["access_token"] = token, ["token_type"] = "Bearer", ["expires_in"] = (long)lifetime.TotalSeconds };
        if (scope.Length > 0)
        {
            body["scope"] = scope;
        }

        await Json(context, 200, body).ConfigureAwait(false);
    }

    /// <summary>RFC 7009: the client authenticates; an unknown token is not an error.</summary>
    private async Task OAuth2Revoke(HttpContext context)
    {
        if (await AuthenticatedOAuth2Form(context).ConfigureAwait(false) is not { } form)
        {
            return;
        }

        if (_tokens.TryGetValue(form["token"].ToString(), out var token))
        {
            token.Revoked = true;
        }

        context.Response.StatusCode = 200;
    }

    private Task Revoke(HttpContext context, string provider) => Protected(context, provider, (token, ctx) =>
    {
        token.Revoked = true;
        return provider == "apimw"
            ? Json(ctx, 200, new JsonObject { ["success"] = true, ["data"] = new JsonObject { ["revoked"] = true } })
            : Json(ctx, 200, new JsonObject { ["revoked"] = true });
    });

    /// <summary>The scheme each provider requires: Kitegateway's JWT, CoreBanking's issued tokenType, Bearer elsewhere.</summary>
    private string SchemeOf(string provider) => provider switch
    {
        "kitegateway" => "JWT",
        "corebanking" => _options.CoreBankingTokenType,
        _ => "Bearer",
    };

    /// <summary>Checks the Authorization header (scheme, known token, not expired, not revoked) before running the handler.</summary>
    private async Task Protected(HttpContext context, string provider, Func<IssuedToken, HttpContext, Task> handler)
    {
        var header = context.Request.Headers.Authorization.ToString();
        var scheme = SchemeOf(provider);
        var space = header.IndexOf(' ');
        if (space <= 0)
        {
            await WriteError(context, provider, false, 401, "INVALID_TOKEN", "Authorization header missing or malformed").ConfigureAwait(false);
            return;
        }

        if (!header[..space].Equals(scheme, StringComparison.OrdinalIgnoreCase))
        {
            await WriteError(context, provider, false, 401, "INVALID_TOKEN", $"Authorization scheme must be {scheme}").ConfigureAwait(false);
            return;
        }

        var value = header[(space + 1)..].Trim();
        if (!_tokens.TryGetValue(value, out var token) || token.Provider != provider)
        {
            await WriteError(context, provider, false, 401, "INVALID_TOKEN", "The access token is invalid").ConfigureAwait(false);
            return;
        }

        if (token.Revoked)
        {
            await WriteError(context, provider, false, 401, "REVOKED_TOKEN", "The access token has been revoked").ConfigureAwait(false);
            return;
        }

        if (Now >= token.ExpiresAt)
        {
            await WriteError(context, provider, false, 401, "EXPIRED_TOKEN", "The access token has expired").ConfigureAwait(false);
            return;
        }

        await handler(token, context).ConfigureAwait(false);
    }

    /// <summary>Writes an error in the provider's own shape.</summary>
    private static Task WriteError(HttpContext context, string provider, bool tokenCall, int status, string code, string message)
    {
        JsonNode body = provider switch
        {
            "kitegateway" => new JsonObject { ["code"] = status, ["status"] = "error", ["message"] = message },
            "apimw" => new JsonObject { ["success"] = false, ["error"] = new JsonObject { ["code"] = code, ["message"] = message } },
            "ankorstore" when !tokenCall => new JsonObject
            {
                ["errors"] = new JsonArray(new JsonObject { ["status"] = status.ToString(CultureInfo.InvariantCulture), ["code"] = code, ["title"] = ReasonOf(status), ["detail"] = message }),
            },
            // Undocumented shapes: Spring Boot's for CoreBanking, OAuth2's for Akiba.
            "corebanking" => new JsonObject
            {
                ["timestamp"] = DateTimeOffset.UtcNow.ToString("o"), ["status"] = status, ["error"] = ReasonOf(status), ["message"] = message, ["path"] = context.Request.Path.Value,
            },
            _ => new JsonObject { ["error"] = code, ["error_description"] = message },
        };
        return Json(context, status, body);
    }

    private static string ReasonOf(int status) => ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "Error";

    private static Task Json(HttpContext context, int status, JsonNode body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }

    private static async Task<JsonNode?> ReadJson(HttpContext context)
    {
        try
        {
            return await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Text(JsonNode? body, string name) =>
        body is JsonObject json && json[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
