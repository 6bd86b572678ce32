using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace TokenAuth.Emulator;

/// <summary>Ankorstore's dialect: an OAuth2 form body; who-am-I at /api/v1/me; JSON:API errors outside the token call.</summary>
public sealed partial class ProviderEmulator
{
    private void MapAnkorstore(RouteGroupBuilder ankorstore)
    {
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
}
