using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace TokenAuth.Emulator;

/// <summary>Akiba's dialect: a JSON body with three fields; bearer tokens; revoke and who-am-I.</summary>
public sealed partial class ProviderEmulator
{
    private void MapAkiba(RouteGroupBuilder akiba)
    {
        akiba.MapPost("/authorization/token", Endpoint("akiba", "token", Gap("akiba", "token", AkibaToken)));
        if (_options.AsDocumented)
        {
            akiba.MapPost(AsDocumentedAkibaTokenPath, Endpoint("akiba", "token", AkibaToken));
        }

        akiba.MapPost("/authorization/revoke", Endpoint("akiba", "revoke", context => Revoke(context, "akiba")));
        akiba.MapGet("/authorization/whoami", Endpoint("akiba", "whoami", context => Protected(context, "akiba", (token, ctx) =>
            Json(ctx, 200, new JsonObject { ["client_id"] = token.Identity, ["name"] = "Demo Akiba client", ["status"] = "active" }))));
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
}
