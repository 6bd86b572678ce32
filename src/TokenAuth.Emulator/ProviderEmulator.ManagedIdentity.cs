using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace TokenAuth.Emulator;

/// <summary>
/// The three managed identity endpoints a machine may have, as Azure documents them: App Service's (IDENTITY_ENDPOINT,
/// X-IDENTITY-HEADER, api-version 2019-08-01), Azure Arc's (Metadata: true, then its challenge: a 401 naming a key file
/// the agent just wrote, answered with Authorization: Basic KEY, api-version 2020-06-01) and the instance metadata
/// service's (Metadata: true, api-version 2018-02-01), at the path AZURE_POD_IDENTITY_AUTHORITY_HOST points to. Their tokens
/// are RS256 JWTs from the emulated managed identity issuer, which the OAuth2 server trusts as federated client assertions
/// (ProviderEmulator.ClientAssertions.cs) when a client has a federated credential for the identity's object id. Also an
/// Entra-style tenant token endpoint (/entra/{tenant}/oauth2/v2.0/token) that records what each token call carried.
/// </summary>
public sealed partial class ProviderEmulator
{
    private const string ManagedIdentityProvider = "managed-identity";

    // The Arc keys written and not yet used; every one ever written, so that tests can prove none shows up anywhere.
    private readonly ConcurrentDictionary<string, byte> _arcKeys = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _arcKeysWritten = new();

    // What each token call to the tenant endpoint and each managed identity call carried: its path, query and form, credentials left out.
    private readonly ConcurrentQueue<JsonObject> _tokenCalls = new();

    private string ArcKeyFolder => _options.ArcKeyFolder ??= Directory.CreateTempSubdirectory("tokenauth-arc-").FullName;

    private void MapManagedIdentity(WebApplication app)
    {
        app.MapGet("/managed-identity/app-service/token", Endpoint(ManagedIdentityProvider, "app-service", context =>
        {
            Record(context, "app-service", null);
            if (context.Request.Headers["X-IDENTITY-HEADER"].ToString() != EmulatedManagedIdentity.IdentityHeader)
            {
                return Json(context, 401, new JsonObject { ["statusCode"] = 401, ["message"] = "The X-IDENTITY-HEADER is missing or wrong." });
            }

            return IssueManagedIdentityToken(context, "2019-08-01", "client_id", "principal_id", "mi_res_id", expiresOnAsText: true);
        }));

        app.MapGet("/managed-identity/arc/token", Endpoint(ManagedIdentityProvider, "arc", async context =>
        {
            Record(context, "arc", null);
            if (context.Request.Headers["Metadata"].ToString() != "true")
            {
                await Json(context, 400, new JsonObject { ["error"] = "invalid_request", ["error_description"] = "Metadata: true is required." }).ConfigureAwait(false);
                return;
            }

            var authorization = context.Request.Headers.Authorization.ToString();
            if (!authorization.StartsWith("Basic ", StringComparison.Ordinal))
            {
                // The challenge: a fresh key in a file of the agent's folder, named in the realm.
                var key = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
                var path = Path.Combine(ArcKeyFolder, Guid.NewGuid().ToString("N") + ".key");
                await File.WriteAllTextAsync(path, key, context.RequestAborted).ConfigureAwait(false);
                _arcKeys[key] = 0;
                _arcKeysWritten.Enqueue(key);
                Count(ManagedIdentityProvider, "arc-challenge");
                context.Response.Headers.WWWAuthenticate = "Basic realm=" + path;
                await Json(context, 401, new JsonObject { ["error"] = "unauthorized", ["error_description"] = "Read the key file named in the realm." }).ConfigureAwait(false);
                return;
            }

            if (!_arcKeys.TryRemove(authorization["Basic ".Length..].Trim(), out _))
            {
                await Json(context, 401, new JsonObject { ["error"] = "unauthorized", ["error_description"] = "The key is not the one the agent wrote." }).ConfigureAwait(false);
                return;
            }

            Count(ManagedIdentityProvider, "arc-key-accepted");
            await IssueManagedIdentityToken(context, "2020-06-01", null, null, null, expiresOnAsText: true).ConfigureAwait(false);
        }));

        app.MapGet("/metadata/identity/oauth2/token", Endpoint(ManagedIdentityProvider, "imds", context =>
        {
            Record(context, "imds", null);
            return context.Request.Headers["Metadata"].ToString() != "true"
                ? Json(context, 400, new JsonObject { ["error"] = "invalid_request", ["error_description"] = "Required metadata header not specified" })
                : IssueManagedIdentityToken(context, "2018-02-01", "client_id", "object_id", "msi_res_id", expiresOnAsText: true);
        }));

        // An API that takes the managed identity's tokens, for its resource: Graph's /me as the emulator plays it.
        app.MapGet("/managed-identity/graph/v1.0/me", Endpoint(ManagedIdentityProvider, "graph-me", context =>
            Protected(context, ManagedIdentityProvider, (token, ctx) => Json(ctx, 200, new JsonObject
            {
                ["id"] = token.Identity,
                ["audience"] = token.Scope,
                ["displayName"] = "emulated managed identity",
            }))));

        // Entra ID's token endpoint, one per tenant: client credentials (secret or assertion), a token that names its tenant.
        app.MapPost("/entra/{tenant}/oauth2/v2.0/token", Endpoint("oauth2", "tenant-token", async context =>
        {
            if (await AuthenticatedOAuth2Form(context).ConfigureAwait(false) is not { } form)
            {
                return;
            }

            var tenant = context.Request.RouteValues["tenant"]?.ToString() ?? "";
            Record(context, "tenant-token", form);
            var scope = form["scope"].ToString();
            var lifetime = LifetimeOf("oauth2");
            var client = form.ContainsKey("client_assertion") ? form["client_id"].ToString() : CredentialOf("oauth2").ClientId!;
            var token = Issue("oauth2", client + "@" + tenant, lifetime, scope.Length == 0 ? null : scope, jwt: true, out _);
            await Json(context, 200, new JsonObject { ["access_token"] = token, ["token_type"] = "Bearer", ["expires_in"] = (long)lifetime.TotalSeconds }).ConfigureAwait(false);
        }));

        app.MapGet("/_emulator/managed-identity", (HttpContext context) => Json(context, 200, new JsonObject
        {
            ["arcKeyFolder"] = ArcKeyFolder,
            ["arcKeys"] = new JsonArray(_arcKeysWritten.Select(key => (JsonNode?)JsonValue.Create(key)).ToArray()),
            ["identityHeader"] = EmulatedManagedIdentity.IdentityHeader,
            ["tokenCalls"] = new JsonArray(_tokenCalls.Select(call => call.DeepClone()).ToArray()),
        }));
    }

    /// <summary>Records a call: its endpoint, tenant, query and form fields, with the credentials left out.</summary>
    private void Record(HttpContext context, string endpoint, IFormCollection? form)
    {
        string[] credentials = ["client_secret", "client_assertion"];
        var query = new JsonObject();
        foreach (var pair in context.Request.Query)
        {
            query[pair.Key] = new JsonArray(pair.Value.Select(value => (JsonNode?)JsonValue.Create(value)).ToArray());
        }

        var fields = new JsonObject();
        foreach (var pair in form ?? (IEnumerable<KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues>>)[])
        {
            if (!credentials.Contains(pair.Key))
            {
                fields[pair.Key] = new JsonArray(pair.Value.Select(value => (JsonNode?)JsonValue.Create(value)).ToArray());
            }
        }

        _tokenCalls.Enqueue(new JsonObject
        {
            ["endpoint"] = endpoint,
            ["tenant"] = context.Request.RouteValues["tenant"]?.ToString(),
            ["query"] = query,
            ["form"] = fields,
        });
    }

    /// <summary>
    /// A managed identity's token for the resource asked, of the system-assigned identity or the user-assigned one the
    /// query names under this endpoint's own parameter names; 400 for an api-version or identity it does not know.
    /// </summary>
    private Task IssueManagedIdentityToken(HttpContext context, string apiVersion, string? clientIdName, string? objectIdName, string? resourceIdName, bool expiresOnAsText)
    {
        var query = context.Request.Query;
        var resource = query["resource"].ToString();
        if (query["api-version"] != apiVersion || resource.Length == 0)
        {
            return Json(context, 400, new JsonObject { ["error"] = "invalid_request", ["error_description"] = $"api-version {apiVersion} and resource are required." });
        }

        var objectId = EmulatedManagedIdentity.SystemObjectId;
        var named = new[] { clientIdName, objectIdName, resourceIdName }.Where(name => name != null && query.ContainsKey(name)).ToList();
        if (named.Count > 1)
        {
            return Json(context, 400, new JsonObject { ["error"] = "invalid_request", ["error_description"] = "Name a user-assigned identity once." });
        }

        if (named.Count == 1)
        {
            var value = query[named[0]!].ToString();
            var known = named[0] == clientIdName ? EmulatedManagedIdentity.UserClientId : named[0] == objectIdName ? EmulatedManagedIdentity.UserObjectId : EmulatedManagedIdentity.UserResourceId;
            if (!string.Equals(value, known, StringComparison.OrdinalIgnoreCase))
            {
                return Json(context, 400, new JsonObject { ["error"] = "invalid_request", ["error_description"] = "Identity not found" });
            }

            objectId = EmulatedManagedIdentity.UserObjectId;
            Count(ManagedIdentityProvider, "user-assigned");
        }

        var lifetime = LifetimeOf(ManagedIdentityProvider);
        var now = Now;
        var expiresAt = now + lifetime;
        var claims = new JsonObject
        {
            ["iss"] = IssuerOf(ManagedIdentityProvider),
            ["sub"] = objectId,
            ["oid"] = objectId,
            ["aud"] = resource,
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["iat"] = now.ToUnixTimeSeconds(),
            ["nbf"] = now.ToUnixTimeSeconds(),
            ["exp"] = expiresAt.ToUnixTimeSeconds(),
        };
        var token = Jwt.Write("""{"alg":"RS256","typ":"JWT","kid":"emulator-managed-identity"}""", claims,
            input => _oidcKey.SignData(input, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        _tokens[token] = new IssuedToken(ManagedIdentityProvider, objectId, expiresAt, resource);
        var expiresOn = expiresAt.ToUnixTimeSeconds();
        return Json(context, 200, new JsonObject
        {
            ["access_token"] = token,
            ["expires_on"] = expiresOnAsText ? expiresOn.ToString(System.Globalization.CultureInfo.InvariantCulture) : expiresOn,
            ["resource"] = resource,
            ["token_type"] = "Bearer",
        });
    }
}
