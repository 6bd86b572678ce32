using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using System.Security;
using TokenAuth.Errors;
using TokenAuth.Providers;

namespace TokenAuth.Credentials
{
    /// <summary>
    /// Turns vault secrets and PSCredentials into provider credentials. Vault calls are serialised across the process
    /// (SecretManagement is not safe to call in parallel), and each secret is read once per session unless a fresh
    /// read is asked for.
    /// </summary>
    public sealed class CredentialResolver
    {
        /// <summary>Held around every secret read in the process, credentials' and client certificates' alike.</summary>
        internal static readonly object VaultGate = new object();

        private readonly ConcurrentDictionary<(string Provider, string Secret, string Vault), ProviderCredential> _resolved =
            new ConcurrentDictionary<(string, string, string), ProviderCredential>();

        /// <summary>The secret a provider's credential is read from when none is named: "TokenAuth.Akiba" and so on.</summary>
        public static string DefaultSecretName(ProviderDefinition provider) => "TokenAuth." + provider.Name;

        public ProviderCredential FromVault(ProviderDefinition provider, ISecretStore store, string? secretName, string? vault, bool reread = false)
        {
            var name = string.IsNullOrWhiteSpace(secretName) ? DefaultSecretName(provider) : secretName!;
            var key = (provider.Name, name, vault ?? "");
            if (!reread && _resolved.TryGetValue(key, out var known))
            {
                return known;
            }

            SecretValue secret;
            lock (VaultGate)
            {
                secret = store.GetSecret(name, vault);
            }

            var credential = FromSecret(provider, secret, name);
            _resolved[key] = credential;
            return credential;
        }

        /// <summary>Forgets every credential read from a vault, so the next use reads the vault again.</summary>
        public void ForgetAll() => _resolved.Clear();

        /// <summary>
        /// A PSCredential's user name is the identity (ClientId or ApiKey), its password the secret (ClientSecret or
        /// ApiSecret); a third field (Akiba's ClientCredential) comes from <paramref name="additionalSecret"/>.
        /// </summary>
        public static ProviderCredential FromUserAndPassword(ProviderDefinition provider, string userName, SecureString password, SecureString? additionalSecret, string source)
        {
            var values = new Dictionary<CredentialField, string?>();
            var identity = provider.Credential.Fields.Contains(CredentialField.ApiKey) ? CredentialField.ApiKey : CredentialField.ClientId;
            var secret = provider.Credential.Fields.Contains(CredentialField.ApiSecret) ? CredentialField.ApiSecret : CredentialField.ClientSecret;
            values[identity] = userName;
            values[secret] = Reveal(password);
            var extra = provider.Credential.Fields.Where(field => field != identity && field != secret).ToList();
            if (extra.Count > 0 && additionalSecret != null)
            {
                values[extra[0]] = Reveal(additionalSecret);
            }

            var missing = extra.Where(field => !values.ContainsKey(field)).ToList();
            if (missing.Count > 0)
            {
                throw new SecretLookupException(SecretFailure.WrongShape, provider.Name,
                    $"{source} holds a user name and password, but {provider.Name} also needs {string.Join(", ", missing)}: "
                    + $"store a hashtable with the keys {string.Join(", ", provider.Credential.Fields)}, or pass -ClientCredential.");
            }

            return new ProviderCredential(values);
        }

        /// <summary>
        /// A client id alone: the whole credential of a provider that asks for nothing else (its client proves itself with
        /// an assertion). A client id is no secret, so it needs no vault.
        /// </summary>
        public static ProviderCredential FromClientId(ProviderDefinition provider, string clientId, string source)
        {
            var fields = provider.Credential.Fields;
            if (fields.Count != 1 || fields[0] != CredentialField.ClientId)
            {
                throw new InvalidRequestException(provider.Name,
                    $"{source} is the whole credential only of a provider whose credential is a ClientId alone (PrivateKeyJwt, FederatedAssertion); "
                    + $"{provider.Name} needs {string.Join(", ", fields)}: keep them in a vault, or pass -Credential.");
            }

            return new ProviderCredential(clientId: clientId);
        }

        public static ProviderCredential FromSecret(ProviderDefinition provider, SecretValue secret, string secretName)
        {
            var source = $"The secret '{secretName}'";
            if (secret.UserName != null && secret.Password != null)
            {
                return FromUserAndPassword(provider, secret.UserName, secret.Password, null, source);
            }

            if (secret.Fields == null)
            {
                throw new SecretLookupException(SecretFailure.WrongShape, provider.Name,
                    $"{source} is a {secret.Shape}; {provider.Name} needs a PSCredential (user name = {provider.Credential.Fields[0]}, password = its secret) "
                    + $"or a hashtable with the keys {string.Join(", ", provider.Credential.Fields)}.");
            }

            var values = new Dictionary<CredentialField, string?>();
            var unknown = new List<string>();
            foreach (var entry in secret.Fields)
            {
                if (CredentialFields.TryParse(entry.Key, ignoreCase: true, out var field) && provider.Credential.Fields.Contains(field))
                {
                    values[field] = entry.Value switch
                    {
                        SecureString secure => Reveal(secure),
                        string text => text,
                        null => null,
                        var other => other.ToString(),
                    };
                }
                else
                {
                    unknown.Add(entry.Key);
                }
            }

            var missing = provider.Credential.Fields.Where(field => string.IsNullOrEmpty(values.TryGetValue(field, out var value) ? value : null)).ToList();
            if (missing.Count > 0 || unknown.Count > 0)
            {
                var problems = new List<string>();
                if (missing.Count > 0) problems.Add("it lacks the keys " + string.Join(", ", missing));
                if (unknown.Count > 0) problems.Add("it has keys " + provider.Name + " does not use: " + string.Join(", ", unknown));
                throw new SecretLookupException(SecretFailure.WrongShape, provider.Name,
                    $"{source} is a hashtable, but {string.Join(", and ", problems)}. {provider.Name} needs the keys {string.Join(", ", provider.Credential.Fields)}.");
            }

            return new ProviderCredential(values);
        }

        internal static string Reveal(SecureString secure)
        {
            var pointer = IntPtr.Zero;
            try
            {
                pointer = Marshal.SecureStringToGlobalAllocUnicode(secure);
                return Marshal.PtrToStringUni(pointer) ?? "";
            }
            finally
            {
                if (pointer != IntPtr.Zero)
                {
                    Marshal.ZeroFreeGlobalAllocUnicode(pointer);
                }
            }
        }
    }
}
