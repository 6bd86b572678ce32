using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace TokenAuth.Emulator;

/// <summary>APIMW's dialect: {success, data} answers; single-use refresh tokens; revoke; who-am-I.</summary>
public sealed partial class ProviderEmulator
{
    private void MapApimw(RouteGroupBuilder apimw)
    {
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
}
