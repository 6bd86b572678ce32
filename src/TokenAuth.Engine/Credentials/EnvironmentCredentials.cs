using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using TokenAuth.Errors;
using TokenAuth.Providers;

namespace TokenAuth.Credentials
{
    /// <summary>
    /// A provider's credential from environment variables, for pipelines that keep secrets in variables rather than a
    /// vault: TOKENAUTH_&lt;PROVIDER&gt;_&lt;FIELD&gt;, e.g. TOKENAUTH_OAUTH2_CLIENTSECRET. The provider's part is its name in
    /// upper case with every character but A-Z and 0-9 made '_'; two registered providers whose names map to the same
    /// part share no variables (both are refused), so a variable set for one is never sent to another.
    /// </summary>
    public static class EnvironmentCredentials
    {
        public const string Prefix = "TOKENAUTH_";

        /// <summary>The variable's name for one field of a provider's credential.</summary>
        public static string VariableName(string provider, CredentialField field) => Prefix + ProviderPart(provider) + "_" + field.ToString().ToUpperInvariant();

        /// <summary>The provider's name as it appears in its variables: upper case ASCII letters and digits, anything else '_'.</summary>
        public static string ProviderPart(string provider)
        {
            var part = new StringBuilder(provider.Length);
            foreach (var c in provider)
            {
                var upper = char.ToUpperInvariant(c);
                part.Append((upper >= 'A' && upper <= 'Z') || (upper >= '0' && upper <= '9') ? upper : '_');
            }

            return part.ToString();
        }

        /// <summary>
        /// Every field <paramref name="provider"/> needs, each from its variable; a missing one is named by its variable.
        /// <paramref name="secretsRead"/> lists the values to register with a CI's log masking: all but the ClientId,
        /// which is no secret and is shown in messages.
        /// </summary>
        /// <param name="registered">The session's providers, to refuse a name that maps to the same variables as another's.</param>
        public static ProviderCredential Read(ProviderDefinition provider, IEnumerable<ProviderDefinition> registered, Func<string, string?> environment,
            out IReadOnlyList<string> secretsRead)
        {
            var part = ProviderPart(provider.Name);
            var twins = registered.Where(other => !ProviderDefinition.NameComparer.Equals(other.Name, provider.Name) && ProviderPart(other.Name) == part)
                .Select(other => other.Name).ToList();
            if (twins.Count > 0)
            {
                throw new InvalidRequestException(provider.Name,
                    $"-EnvironmentVariable: {provider.Name} and {string.Join(", ", twins)} would read the same variables ({Prefix}{part}_...), so neither reads them; "
                    + "register one under another name, or pass the credential another way. Nothing was read or sent.");
            }

            var values = new Dictionary<CredentialField, string?>();
            var secrets = new List<string>();
            var missing = new List<string>();
            foreach (var field in provider.Credential.Fields)
            {
                var name = VariableName(provider.Name, field);
                var value = environment(name);
                if (string.IsNullOrEmpty(value))
                {
                    missing.Add(name);
                    continue;
                }

                values[field] = value;
                if (field != CredentialField.ClientId)
                {
                    secrets.Add(value!);
                }
            }

            secretsRead = secrets;
            if (missing.Count > 0)
            {
                throw new CredentialException(provider.Name, string.Join(", ", provider.Credential.Fields.Where(field => !values.ContainsKey(field))),
                    $"is missing from the environment: {string.Join(", ", missing)} {(missing.Count == 1 ? "is" : "are")} not set "
                    + $"(-EnvironmentVariable reads {string.Join(", ", provider.Credential.Fields.Select(field => VariableName(provider.Name, field)))})");
            }

            return new ProviderCredential(values);
        }
    }
}
