using System;
using System.Collections.Generic;
using System.Security.Cryptography;
using System.Text;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Providers;

namespace TokenAuth.Credentials
{
    /// <summary>
    /// The fields a provider may ask for. Secret parts (ClientSecret, ClientCredential, ApiSecret) never appear in
    /// <see cref="ToString"/>, and the ApiKey is shown only by its first characters, since some providers treat it as secret too.
    /// </summary>
    public sealed class ProviderCredential : ICredentialValues
    {
        /// <summary>One value per <see cref="CredentialField"/>, indexed by it.</summary>
        private readonly string?[] _values = new string?[CredentialFields.All.Count];
        private string? _secretFingerprint;

        public ProviderCredential(string? clientId = null, string? clientSecret = null, string? clientCredential = null,
            string? apiKey = null, string? apiSecret = null)
        {
            _values[(int)CredentialField.ClientId] = clientId;
            _values[(int)CredentialField.ClientSecret] = clientSecret;
            _values[(int)CredentialField.ClientCredential] = clientCredential;
            _values[(int)CredentialField.ApiKey] = apiKey;
            _values[(int)CredentialField.ApiSecret] = apiSecret;
        }

        internal ProviderCredential(IReadOnlyDictionary<CredentialField, string?> values)
        {
            foreach (var value in values)
            {
                _values[(int)value.Key] = value.Value;
            }
        }

        public string? ClientId => Get(CredentialField.ClientId);

        public string? ClientSecret => Get(CredentialField.ClientSecret);

        public string? ClientCredential => Get(CredentialField.ClientCredential);

        public string? ApiKey => Get(CredentialField.ApiKey);

        public string? ApiSecret => Get(CredentialField.ApiSecret);

        /// <summary>Who the credential is: the client id, else the API key. Used in cache keys, not shown whole.</summary>
        public string Identity => ClientId ?? ApiKey ?? "";

        /// <summary>
        /// A one-way fingerprint of every field, so that credentials differing in any of them (a rotated secret, another
        /// API key for the same client) never share a cached token.
        /// </summary>
        public string SecretFingerprint => _secretFingerprint ??= ComputeFingerprint();

        /// <summary>How the identity is shown in messages: a client id whole, an API key by its first four characters.</summary>
        public string DisplayIdentity => ClientId ?? (ApiKey == null ? "(none)" : Mask(ApiKey));

        public string? Get(CredentialField field) => _values[(int)field];

        /// <summary>
        /// Every value that must never be shown, for scrubbing provider text: the secret fields, and the client id and
        /// secret as a Basic credential (RFC 6749 2.3.1, and without its form-encoding), which a provider may echo whole.
        /// </summary>
        public IEnumerable<string> SensitiveValues()
        {
            foreach (var field in CredentialFields.All)
            {
                var value = Get(field);
                if ((CredentialFields.IsSecret(field) || field == CredentialField.ApiKey) && !string.IsNullOrEmpty(value))
                {
                    yield return value!;
                }
            }

            if (!string.IsNullOrEmpty(ClientSecret))
            {
                yield return SecretAsBasic;
                yield return BasicPair(ClientId ?? "", ClientSecret!);
            }
        }

        /// <summary>The client id and secret as HTTP Basic's value (RFC 6749 2.3.1: each part form-encoded before they are joined).</summary>
        internal string SecretAsBasic => BasicOf(ClientId ?? "", ClientSecret ?? "");

        /// <summary>A client id and secret as HTTP Basic's credentials (RFC 6749 2.3.1: each form-encoded first).</summary>
        internal static string BasicOf(string clientId, string secret) => BasicPair(Uri.EscapeDataString(clientId), Uri.EscapeDataString(secret));

        private static string BasicPair(string user, string password) => Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password));

        /// <summary>Checks the fields against what the provider needs, before anything is sent.</summary>
        public void Validate(ProviderDefinition provider)
        {
            foreach (var field in provider.Credential.Fields)
            {
                var value = Get(field);
                if (string.IsNullOrEmpty(value))
                {
                    throw new CredentialException(provider.Name, field.ToString(), "is missing (" + provider.Name + " needs "
                        + string.Join(", ", provider.Credential.Fields) + ")");
                }

                // Fields may travel in headers (APIMW's Secret-Key), where a line break would start another header.
                if (HeaderValues.HasControlCharacter(value))
                {
                    throw new CredentialException(provider.Name, field.ToString(), "holds a line break or another control character; check how it was stored");
                }
            }

            foreach (var limit in provider.Credential.MaxLength)
            {
                var value = Get(limit.Key);
                if (value != null && value.Length > limit.Value)
                {
                    throw new CredentialException(provider.Name, limit.Key.ToString(),
                        $"is {value.Length} characters long; {provider.Name} accepts at most {limit.Value}");
                }
            }
        }

        public override string ToString()
        {
            var parts = new List<string>();
            foreach (var field in CredentialFields.All)
            {
                if (Get(field) is { } value)
                {
                    parts.Add($"{field}={(CredentialFields.IsSecret(field) ? "***" : field == CredentialField.ApiKey ? Mask(value) : value)}");
                }
            }

            return "ProviderCredential(" + string.Join(", ", parts) + ")";
        }

        private static string Mask(string value) => value.Length <= 8 ? "***" : value.Substring(0, 4) + "***";

        private string ComputeFingerprint()
        {
            // Each field length-prefixed (-1: absent), so that no two different sets of fields give the same material.
            var material = new StringBuilder();
            foreach (var value in _values)
            {
                material.Append(value?.Length ?? -1).Append(':').Append(value).Append('\n');
            }

            var bytes = Encoding.UTF8.GetBytes(material.ToString());
#if NET8_0_OR_GREATER
            // The one-shot hash and hex: every cmdlet call makes its credential anew, and a hash object each time cost
            // about a microsecond of a call's 180 here. The same text as below.
            return Convert.ToHexString(SHA256.HashData(bytes), 0, 16).ToLowerInvariant();
#else
            using var sha = SHA256.Create();
            var hash = sha.ComputeHash(bytes);
            var hex = new StringBuilder(32);
            for (var i = 0; i < 16; i++)
            {
                hex.Append(hash[i].ToString("x2"));
            }

            return hex.ToString();
#endif
        }
    }
}
