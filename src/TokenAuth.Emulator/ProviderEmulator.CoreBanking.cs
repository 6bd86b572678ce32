using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace TokenAuth.Emulator;

/// <summary>CoreBanking's dialect: clientId and clientSecret of at most 100 characters; the issued tokenType is the scheme.</summary>
public sealed partial class ProviderEmulator
{
    private void MapCoreBanking(RouteGroupBuilder coreBanking)
    {
        coreBanking.MapPost("/api/auth/v1/authenticate", Endpoint("corebanking", "token", CoreBankingToken));
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
}
