using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace TokenAuth.Emulator;

/// <summary>
/// A plain OAuth2 server, for custom definitions: client_secret_basic, client_secret_post or a client assertion
/// (ProviderEmulator.ClientAssertions.cs), scope, RFC 7009 revocation, an OIDC discovery document.
/// </summary>
public sealed partial class ProviderEmulator
{
    private void MapOAuth2(RouteGroupBuilder oauth2)
    {
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
        RememberClaims(token, form);
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
}
