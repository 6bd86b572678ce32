using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net.Http;
using System.Text.Json;
using System.Threading.Tasks;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Json;
using TokenAuth.Logging;
using TokenAuth.Providers;

namespace TokenAuth.Credentials
{
    /// <summary>A managed identity endpoint's answer: its status, body (an error body's first 64 KiB) and WWW-Authenticate challenge.</summary>
    internal readonly struct ManagedIdentityAnswer
    {
        public ManagedIdentityAnswer(int status, string body, string? challenge)
        {
            Status = status;
            Body = body;
            Challenge = challenge;
        }

        public int Status { get; }

        public string Body { get; }

        public string? Challenge { get; }
    }

    /// <summary>A token from a managed identity endpoint: a credential, held by the call that asked for it.</summary>
    internal sealed class ManagedIdentityToken
    {
        public ManagedIdentityToken(string value, string? tokenType, DateTimeOffset? expiresOn)
        {
            Value = value;
            TokenType = tokenType;
            ExpiresOn = expiresOn;
        }

        public string Value { get; }

        public string? TokenType { get; }

        public DateTimeOffset? ExpiresOn { get; }
    }

    /// <summary>
    /// Gets a token for a resource from the machine's managed identity endpoint (<see cref="ManagedIdentityEndpoint"/>):
    /// App Service's with its identity header, the instance metadata service's with Metadata: true, or Azure Arc's,
    /// answering its key-file challenge (<see cref="ArcKeyFile"/>). The identity header, the Arc key and the token are
    /// each held by the call (hidden from its errors, masked in a CI's log) the moment they exist.
    /// </summary>
    internal static class ManagedIdentityClient
    {
        public static async Task<ManagedIdentityToken> GetTokenAsync(AssertionFetch fetch, string resource, ManagedIdentityId? identity, Func<string, string?> environment)
        {
            var provider = fetch.Provider;
            var send = fetch.SendToPlatform ?? throw new InvalidOperationException("This fetch cannot reach a managed identity endpoint.");
            var endpoint = ManagedIdentityEndpoint.Locate(provider, environment);
            var address = endpoint.RequestFor(provider, resource, identity);
            var headers = new List<KeyValuePair<string, string>>();
            if (endpoint.IdentityHeader is { } identityHeader)
            {
                fetch.HoldSecret?.Invoke(identityHeader);
                headers.Add(new KeyValuePair<string, string>("X-IDENTITY-HEADER", identityHeader));
            }
            else
            {
                headers.Add(new KeyValuePair<string, string>("Metadata", "true"));
            }

            var answer = await send(new JsonCall(HttpMethod.Get, address, headers)).ConfigureAwait(false);
            if (endpoint.Kind == ManagedIdentityKind.AzureArc && answer.Status == 401)
            {
                var key = ArcKeyFile.Read(provider, ArcKeyFile.PathIn(provider, answer.Challenge), fetch.ArcKeyFolder);
                fetch.HoldSecret?.Invoke(key);
                headers.Add(new KeyValuePair<string, string>("Authorization", "Basic " + key));
                answer = await send(new JsonCall(HttpMethod.Get, address, headers)).ConfigureAwait(false);
            }

            if (answer.Status < 200 || answer.Status > 299)
            {
                throw new ManagedIdentityException(provider, ManagedIdentityProblem.Unavailable,
                    $"the {Describe(endpoint.Kind)} endpoint ({endpoint.Source}) answered {answer.Status}{MessageIn(answer.Body)}"
                    + (answer.Status == 400 && identity != null ? " (is that user-assigned identity assigned to this machine?)" : ""));
            }

            return Read(provider, endpoint, answer.Body, fetch.HoldSecret);
        }

        private static string Describe(ManagedIdentityKind kind) => kind switch
        {
            ManagedIdentityKind.AppService => "App Service managed identity",
            ManagedIdentityKind.AzureArc => "Azure Arc identity",
            _ => "instance metadata service's managed identity",
        };

        private static ManagedIdentityToken Read(string provider, ManagedIdentityEndpoint endpoint, string body, Action<string>? hold)
        {
            try
            {
                using var document = JsonDocument.Parse(body);
                var root = document.RootElement;
                if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("access_token", out var token) && token.ValueKind == JsonValueKind.String
                    && JsonText.String(token) is { Length: > 0 } value)
                {
                    hold?.Invoke(value);
                    var type = root.TryGetProperty("token_type", out var tokenType) && tokenType.ValueKind == JsonValueKind.String ? JsonText.String(tokenType) : null;
                    return new ManagedIdentityToken(value, type, ExpiryIn(root));
                }
            }
            catch (JsonException)
            {
            }

            throw new ManagedIdentityException(provider, ManagedIdentityProblem.Unavailable, $"the {Describe(endpoint.Kind)} endpoint's answer holds no access_token.");
        }

        /// <summary>expires_on: Unix seconds, as a number or a string (every endpoint sends one); null when absent.</summary>
        private static DateTimeOffset? ExpiryIn(JsonElement root)
        {
            if (!root.TryGetProperty("expires_on", out var expiresOn))
            {
                return null;
            }

            long seconds;
            if (expiresOn.ValueKind == JsonValueKind.Number && expiresOn.TryGetInt64(out seconds))
            {
                return DateTimeOffset.FromUnixTimeSeconds(seconds);
            }

            return expiresOn.ValueKind == JsonValueKind.String && long.TryParse(JsonText.String(expiresOn), NumberStyles.None, CultureInfo.InvariantCulture, out seconds)
                ? DateTimeOffset.FromUnixTimeSeconds(seconds)
                : null;
        }

        /// <summary>An error answer's own words, short and printable.</summary>
        private static string MessageIn(string body)
        {
            try
            {
                using var document = JsonDocument.Parse(body);
                var root = document.RootElement;
                foreach (var name in new[] { "error_description", "message", "error" })
                {
                    if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var said) && said.ValueKind == JsonValueKind.String
                        && JsonText.String(said) is { Length: > 0 and <= 300 } text)
                    {
                        return ": " + Redaction.Printable(text);
                    }
                }
            }
            catch (JsonException)
            {
            }

            return "";
        }
    }

    /// <summary>
    /// The machine's managed identity as a client assertion source (ManagedIdentity[:ID]): its token for
    /// api://AzureADTokenExchange, which an Entra ID app's federated credential trusts (and any server that trusts Entra
    /// ID's tokens for that audience), fetched afresh for every token request.
    /// </summary>
    internal sealed class ManagedIdentitySource : ClientAssertionSource
    {
        /// <summary>The audience Entra ID's federated credentials take.</summary>
        public const string FederatedAudience = "api://AzureADTokenExchange";

        private readonly ManagedIdentityId? _identity;
        private readonly Func<string, string?> _environment;

        public ManagedIdentitySource(ManagedIdentityId? identity, Func<string, string?> environment)
            : base(identity == null ? "ManagedIdentity" : "ManagedIdentity:" + identity, "managed-identity " + identity)
        {
            _identity = identity;
            _environment = environment;
        }

        public override string Takes => "this machine's managed identity's token for " + FederatedAudience
            + (_identity == null ? " (the system-assigned identity)" : $" (the user-assigned identity {_identity})");

        internal override async Task<string> FetchAsync(AssertionFetch fetch) =>
            (await ManagedIdentityClient.GetTokenAsync(fetch, FederatedAudience, _identity, _environment).ConfigureAwait(false)).Value;
    }
}
