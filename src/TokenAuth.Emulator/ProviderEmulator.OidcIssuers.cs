using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace TokenAuth.Emulator;

/// <summary>
/// Workload identity federation's two OIDC issuers: the emulator plays GitHub Actions' and Azure Pipelines' OIDC token
/// endpoints. Its OAuth2 server trusts their tokens as client assertions (ProviderEmulator.ClientAssertions.cs) for
/// the clients that have a federated credential for the token's subject, as Entra ID does.
/// </summary>
public sealed partial class ProviderEmulator
{
    /// <summary>The audience a federated credential accepts, Entra ID's default.</summary>
    public const string FederatedAudience = "api://AzureADTokenExchange";

    /// <summary>How long an OIDC token the emulator issues lasts, about as long as the pipelines' own.</summary>
    public static readonly TimeSpan OidcTokenLifetime = TimeSpan.FromMinutes(5);

    private readonly RSA _oidcKey = RSA.Create(2048);

    // Every OIDC token issued, so that tests can prove none of them shows up anywhere.
    private readonly ConcurrentQueue<string> _oidcTokens = new();

    /// <summary>Every OIDC token the emulated pipelines issued: client assertions that must never show up anywhere.</summary>
    public IReadOnlyCollection<string> OidcTokens => _oidcTokens.ToList();

    private void MapOidcIssuers(WebApplication app)
    {
        // GitHub Actions: GET ACTIONS_ID_TOKEN_REQUEST_URL&audience=..., bearer ACTIONS_ID_TOKEN_REQUEST_TOKEN, {"value": jwt}.
        app.MapGet("/github-actions/idtoken", Endpoint("github-actions", "idtoken", async context =>
        {
            if (!HasBearer(context, _options.GitHubActionsRequestToken))
            {
                await Json(context, 401, new JsonObject { ["message"] = "Unable to authenticate the ID token request." }).ConfigureAwait(false);
                return;
            }

            var audience = context.Request.Query["audience"].ToString();
            var token = NewOidcToken("github-actions", EmulatedPipelines.GitHubActionsSubject, audience.Length == 0 ? "https://github.com/tokenauth" : audience);
            await Json(context, 200, new JsonObject { ["count"] = 1760, ["value"] = token }).ConfigureAwait(false);
        }));

        // Azure Pipelines: POST SYSTEM_OIDCREQUESTURI?api-version=7.1-preview.1[&serviceConnectionId=ID], bearer SYSTEM_ACCESSTOKEN, {"oidcToken": jwt}.
        app.MapPost("/azure-devops/oidctoken", Endpoint("azure-devops", "oidctoken", async context =>
        {
            if (!HasBearer(context, _options.AzureDevOpsAccessToken))
            {
                context.Response.StatusCode = 401;
                return;
            }

            var connection = context.Request.Query["serviceConnectionId"].ToString();
            if (context.Request.Query["api-version"].Count == 0 || (connection.Length > 0 && !Guid.TryParse(connection, out _)))
            {
                await Json(context, 400, new JsonObject { ["message"] = "api-version is required, and serviceConnectionId must be a GUID." }).ConfigureAwait(false);
                return;
            }

            var token = NewOidcToken("azure-devops", EmulatedPipelines.AzureDevOpsSubject(connection.Length == 0 ? null : connection), FederatedAudience);
            await Json(context, 200, new JsonObject { ["oidcToken"] = token }).ConfigureAwait(false);
        }));
    }

    private static bool HasBearer(HttpContext context, string expected) =>
        context.Request.Headers.Authorization.ToString() == "Bearer " + expected;

    /// <summary>The emulated pipeline's issuer, the same on every listener (a token fetched over http is used over https).</summary>
    private string IssuerOf(string pipeline) => RootUri + pipeline;

    /// <summary>An RS256 JWT from one of the emulated pipelines' issuers.</summary>
    private string NewOidcToken(string pipeline, string subject, string audience)
    {
        var now = Now.ToUnixTimeSeconds();
        var claims = new JsonObject
        {
            ["iss"] = IssuerOf(pipeline),
            ["sub"] = subject,
            ["aud"] = audience,
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["iat"] = now,
            ["nbf"] = now,
            ["exp"] = now + (long)OidcTokenLifetime.TotalSeconds,
        };
        var token = Jwt.Write("""{"alg":"RS256","typ":"JWT","kid":"emulator-oidc"}""", claims,
            input => _oidcKey.SignData(input, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        _oidcTokens.Enqueue(token);
        return token;
    }

    private bool IsPipelineIssuer(string? issuer) => issuer == IssuerOf("github-actions") || issuer == IssuerOf("azure-devops") || issuer == IssuerOf(ManagedIdentityProvider);
}
