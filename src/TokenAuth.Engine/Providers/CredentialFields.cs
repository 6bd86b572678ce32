using System;
using System.Collections.Generic;
using System.Linq;

namespace TokenAuth.Providers
{
    /// <summary>The fields a provider may ask for, as its definition names them; <see cref="CredentialFields"/> is their table.</summary>
    public enum CredentialField
    {
        ClientId,
        ClientSecret,
        ClientCredential,
        ApiKey,
        ApiSecret,
    }

    /// <summary>
    /// The one table of credential fields: their names (as vault keys, definition entries and template placeholders
    /// alike) and which of them are secret. Beside the definitions, which name them, below the credentials, which hold them.
    /// </summary>
    public static class CredentialFields
    {
        /// <summary>Every field, in the order a credential holds them.</summary>
        public static IReadOnlyList<CredentialField> All { get; } = (CredentialField[])Enum.GetValues(typeof(CredentialField));

        public static IReadOnlyList<string> Names { get; } = All.Select(field => field.ToString()).ToArray();

        /// <summary>Never shown, and scrubbed from anything a provider says. (An ApiKey is shown only by its start.)</summary>
        public static bool IsSecret(CredentialField field) =>
            field == CredentialField.ClientSecret || field == CredentialField.ClientCredential || field == CredentialField.ApiSecret;

        /// <summary>The field with this name; case-insensitively for names people type (vault keys).</summary>
        public static bool TryParse(string name, bool ignoreCase, out CredentialField field)
        {
            var comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
            for (var i = 0; i < All.Count; i++)
            {
                if (string.Equals(Names[i], name, comparison))
                {
                    field = All[i];
                    return true;
                }
            }

            field = default;
            return false;
        }
    }
}
