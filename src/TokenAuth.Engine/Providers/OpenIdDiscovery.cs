using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Http;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Json;
using TokenAuth.Logging;

namespace TokenAuth.Providers
{
    /// <summary>
    /// A provider from an OpenID Connect or RFC 8414 server's discovery document: read within the session's bound, from
    /// https only (loopback http for tests), and refused unless its issuer is exactly the address asked (OpenID Connect
    /// Discovery §4.3; RFC 8414 §3.3). The definition it makes serves people (device code, browser with PKCE) with a
    /// public client: the client id is all it needs.
    /// </summary>
    internal static class OpenIdDiscovery
    {
        /// <param name="apiBaseUri">Where the API the tokens are for is (the base URI requests go to); null: the issuer.</param>
        /// <param name="scope">The scope people are asked for by default; null: openid profile email offline_access.</param>
        public static async Task<ProviderDefinition> DiscoverAsync(HttpSender sender, TokenAuthOptions options, TimeProvider clock, string name, Uri issuer, string clientId,
            Uri? apiBaseUri, string? scope, ITokenAuthLog? log, CancellationToken cancellation, TimeSpan? timeout)
        {
            if (!IsHttpsOrLoopback(issuer) || !string.IsNullOrEmpty(issuer.Query) || !string.IsNullOrEmpty(issuer.Fragment) || !string.IsNullOrEmpty(issuer.UserInfo))
            {
                throw new ProviderConfigurationException($"The issuer {Redaction.RedactUri(issuer)} must be an https address without query or fragment (http only on a loopback host).",
                    name, "-Issuer");
            }

            var budget = CallBudget.Starting(clock, options.ProviderCallLimit(timeout));
            var call = new DiscoveryCall(name, log, budget, cancellation) { Connection = options.Connection };
            var path = issuer.AbsolutePath.TrimEnd('/');
            var candidates = new[]
            {
                new Uri(issuer.GetLeftPart(UriPartial.Authority) + path + "/.well-known/openid-configuration"),
                new Uri(issuer.GetLeftPart(UriPartial.Authority) + "/.well-known/oauth-authorization-server" + path),
            };
            foreach (var candidate in candidates)
            {
                using var sent = await sender.SendAsync(call, new JsonCall(HttpMethod.Get, candidate), options.Retry, bufferSuccessBody: false).ConfigureAwait(false);
                log.Verbose($"{name}: HTTP {(int)sent.Response.StatusCode} from {sent.DisplayEndpoint}.");
                if (sent.Response.StatusCode == HttpStatusCode.NotFound && candidate != candidates[candidates.Length - 1])
                {
                    continue;
                }

                if (!sent.Response.IsSuccessStatusCode)
                {
                    throw new ProviderConfigurationException($"{Redaction.RedactUri(candidate)} answered HTTP {(int)sent.Response.StatusCode}: no discovery document there.", name, "-Issuer");
                }

                using var body = await sent.ReadAsync(static (sent, limit) => BoundedRead.ReadWithinAsync(sent.Response.Content, limit, sent.AttemptCancellation),
                        options.MaxProviderAnswerBytes).ConfigureAwait(false)
                    ?? throw BoundedRead.AnswerTooLarge(call, sent.DisplayEndpoint, options.MaxProviderAnswerBytes);
                return FromDocument(name, issuer, clientId, BoundedRead.Decode(body, sent.Response.Content), candidate, apiBaseUri, scope);
            }

            throw new InvalidOperationException("unreachable");
        }

        /// <summary>The definition a discovery document describes, once its issuer and endpoints pass.</summary>
        internal static ProviderDefinition FromDocument(string name, Uri issuer, string clientId, string json, Uri source, Uri? apiBaseUri = null, string? scope = null)
        {
            if (apiBaseUri != null && !IsHttpsOrLoopback(apiBaseUri))
            {
                throw new ProviderConfigurationException($"The API's base URI {Redaction.RedactUri(apiBaseUri)} must be an https address (http only on a loopback host).", name, "-BaseUri");
            }

            string? Text(JsonElement root, string field) =>
                root.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String ? JsonText.String(value) : null;

            using var document = Parse(json, name, source);
            var root = document.RootElement;
            var said = Text(root, "issuer");
            if (said == null || !string.Equals(said.TrimEnd('/'), issuer.OriginalString.TrimEnd('/'), StringComparison.Ordinal))
            {
                throw new ProviderConfigurationException(
                    $"The discovery document at {Redaction.RedactUri(source)} names the issuer '{Redaction.Printable(said ?? "(none)")}', not {issuer.OriginalString}: "
                    + "a server may describe only itself (OpenID Connect Discovery §4.3), so it was refused.", name, "issuer");
            }

            string? Endpoint(string field, bool required)
            {
                var address = Text(root, field);
                if (address == null)
                {
                    return required
                        ? throw new ProviderConfigurationException($"The discovery document at {Redaction.RedactUri(source)} has no {field}.", name, field)
                        : null;
                }

                // Plain http only where the issuer itself is on loopback (the emulator, a local server): an https issuer
                // may not send tokens, codes or revocations to a port on this machine that anyone here could be listening on.
                return Uri.TryCreate(address, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || (issuer.Scheme == Uri.UriSchemeHttp && IsHttpsOrLoopback(uri)))
                    && string.IsNullOrEmpty(uri.UserInfo) && string.IsNullOrEmpty(uri.Fragment)
                    ? uri.AbsoluteUri
                    : throw new ProviderConfigurationException($"The discovery document's {field} is not an https address; it was refused.", name, field);
            }

            var methods = new List<string>();
            if (root.TryGetProperty("token_endpoint_auth_methods_supported", out var supported) && supported.ValueKind == JsonValueKind.Array)
            {
                foreach (var method in supported.EnumerateArray())
                {
                    if (method.ValueKind == JsonValueKind.String)
                    {
                        methods.Add(JsonText.String(method));
                    }
                }
            }

            var token = Endpoint("token_endpoint", required: true)!;
            var revocation = Endpoint("revocation_endpoint", required: false);
            var userInfo = Endpoint("userinfo_endpoint", required: false);
            return new ProviderDefinition
            {
                Name = name,
                Description = $"Discovered from {issuer.OriginalString}: people sign in with -UseDeviceCode or -Interactive.",
                Environments = new Dictionary<string, string> { ["Live"] = (apiBaseUri ?? issuer).AbsoluteUri },
                Credential = new CredentialSpec { Fields = new[] { CredentialField.ClientId } },
                Token = new TokenEndpointSpec
                {
                    Path = token,
                    Encoding = BodyEncoding.Form,
                    // Where the server takes only Basic, a confidential client's secret goes there; a public client sends its id in the body either way.
                    ClientAuthentication = methods.Contains("client_secret_basic") && !methods.Contains("client_secret_post") ? ClientAuthentication.Basic : ClientAuthentication.Body,
                    Fields = new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = "{ClientId}", ["scope"] = "{Scope}" },
                },
                TokenResponse = new TokenResponseSpec
                {
                    AccessToken = "access_token",
                    TokenType = "token_type",
                    RefreshToken = "refresh_token",
                    Scope = "scope",
                    Expiry = new[] { new ExpirySource { Path = "expires_in", Format = ExpiryFormat.SecondsFromNow } },
                },
                Revoke = revocation == null ? null : new RevokeSpec
                {
                    Path = revocation,
                    Encoding = BodyEncoding.Form,
                    Authentication = RevokeAuthentication.Client,
                    Fields = new Dictionary<string, string> { ["token"] = "{AccessToken}", ["token_type_hint"] = "access_token", ["client_id"] = "{ClientId}" },
                    RefreshTokenFields = new Dictionary<string, string> { ["token"] = "{RefreshToken}", ["token_type_hint"] = "refresh_token", ["client_id"] = "{ClientId}" },
                },
                WhoAmI = userInfo == null ? null : new WhoAmISpec { Path = userInfo },
                Errors = new ErrorSpec { CodePaths = new[] { "error" }, MessagePaths = new[] { "error_description" } },
                SignIn = new SignInSpec
                {
                    Issuer = issuer.OriginalString,
                    ClientId = clientId,
                    AuthorizationEndpoint = Endpoint("authorization_endpoint", required: false),
                    DeviceAuthorizationEndpoint = Endpoint("device_authorization_endpoint", required: false),
                    DefaultScope = string.IsNullOrWhiteSpace(scope) ? new SignInSpec().DefaultScope : scope!,
                },
            };
        }

        private static JsonDocument Parse(string json, string name, Uri source)
        {
            try
            {
                var document = JsonDocument.Parse(json);
                if (document.RootElement.ValueKind == JsonValueKind.Object)
                {
                    return document;
                }

                document.Dispose();
            }
            catch (JsonException)
            {
            }

            throw new ProviderConfigurationException($"The answer at {Redaction.RedactUri(source)} is not a discovery document (a JSON object).", name, "-Issuer");
        }

        /// <summary>Where an authorization server's addresses may be: https, or plain http on this machine's loopback (the emulator, a local server).</summary>
        internal static bool IsHttpsOrLoopback(Uri uri) => uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback);

        private sealed class DiscoveryCall : CallContext
        {
            private readonly string _provider;

            public DiscoveryCall(string provider, ITokenAuthLog? log, CallBudget? budget, CancellationToken cancellation)
                : base(ProviderOperation.Token, log, budget, cancellation, null)
            {
                _provider = provider;
            }

            public override string Provider => _provider;

            protected override void AddSensitiveValues(List<string?> values)
            {
            }
        }
    }
}
