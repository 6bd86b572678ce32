using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace TokenAuth.Emulator;

/// <summary>
/// The route table, and what every dialect's endpoints share: the client-certificate gate, the bearer-token check
/// (<see cref="Protected"/>), each provider's error shape (<see cref="WriteError"/>) and JSON in and out.
/// </summary>
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

        // Each dialect under its provider's path prefix, in a file of its own (ProviderEmulator.Akiba.cs, …).
        MapAkiba(app.MapGroup("/akiba"));
        MapKitegateway(app.MapGroup("/kitegateway"));
        MapAnkorstore(app.MapGroup("/ankorstore"));
        MapCoreBanking(app.MapGroup("/corebanking"));
        MapApimw(app.MapGroup("/apimw"));
        MapOAuth2(app.MapGroup("/oauth2"));

        foreach (var provider in Providers)
        {
            MapResources(app.MapGroup("/" + provider + "/resources"), provider);
        }

        MapOidcIssuers(app);
        MapSignIn(app);
        MapTokenExchange(app);
        MapManagedIdentity(app);
        MapControl(app.MapGroup("/_emulator"));
    }

    /// <summary>A bearer revoke: the bearer token, or the refresh token APIMW's body names (our reading of its gap, as RFC 7009).</summary>
    private Task Revoke(HttpContext context, string provider) => Protected(context, provider, async (token, ctx) =>
    {
        if (provider != "apimw" || Text(await ReadJson(ctx).ConfigureAwait(false), "token") is not { } named || !RevokeRefreshToken(provider, named))
        {
            token.Revoked = true;
        }

        await (provider == "apimw"
            ? Json(ctx, 200, new JsonObject { ["success"] = true, ["data"] = new JsonObject { ["revoked"] = true } })
            : Json(ctx, 200, new JsonObject { ["revoked"] = true })).ConfigureAwait(false);
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
