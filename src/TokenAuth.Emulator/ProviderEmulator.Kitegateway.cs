using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace TokenAuth.Emulator;

/// <summary>Kitegateway's dialect: api_key in the body, the secret in a Secret-Key header; "JWT &lt;token&gt;" in data.token, an absolute expiry.</summary>
public sealed partial class ProviderEmulator
{
    private void MapKitegateway(RouteGroupBuilder kitegateway)
    {
        kitegateway.MapPost("/v1/auth/token", Endpoint("kitegateway", "token", KitegatewayToken));
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
}
