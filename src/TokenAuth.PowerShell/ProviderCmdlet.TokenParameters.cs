using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using System.Security;
using TokenAuth.Errors;
using TokenAuth.Providers;

namespace TokenAuth.Commands
{
    /// <summary>
    /// Per-call token parameters: the tenant, the resources (RFC 8707), the audience, and other fields a token server
    /// wants. From the command line only, like -Scope: a piped object does not choose what a token is for.
    /// </summary>
    public abstract partial class ProviderCmdlet
    {
        /// <summary>The tenant, for a definition whose token path or fields say {TenantId} (one Entra ID definition, many tenants).</summary>
        [Parameter(ParameterSetName = ByProvider)]
        [ValidateNotNullOrEmpty]
        public string? TenantId { get; set; }

        /// <summary>The resources the token is for (RFC 8707): resource fields, or {Resource}; a managed identity's token is for one.</summary>
        [Parameter(ParameterSetName = ByProvider)]
        [ValidateNotNullOrEmpty]
        public string[]? Resource { get; set; }

        /// <summary>The audience, for a definition that says {Audience}, else an audience field.</summary>
        [Parameter(ParameterSetName = ByProvider)]
        [ValidateNotNullOrEmpty]
        public string? Audience { get; set; }

        /// <summary>Other fields for the token call; none may be a credential, the grant or one the definition sets.</summary>
        [Parameter(ParameterSetName = ByProvider)]
        [ValidateNotNull]
        public Hashtable? TokenParameter { get; set; }

        /// <summary>This call's token parameters, checked (<see cref="TokenParameters"/>).</summary>
        private TokenParameters CallTokenParameters()
        {
            if (TenantId == null && Resource == null && Audience == null && TokenParameter == null)
            {
                return TokenParameters.None;
            }

            var extra = new List<KeyValuePair<string, string>>();
            foreach (DictionaryEntry entry in TokenParameter ?? new Hashtable())
            {
                var name = entry.Key?.ToString() ?? "";
                extra.Add(new KeyValuePair<string, string>(name, TextOf(name, entry.Value is PSObject wrapped ? wrapped.BaseObject : entry.Value)));
            }

            return new TokenParameters(TenantId, Resource, Audience, extra);
        }

        /// <summary>A value as the token call sends it: text, a number or a switch as invariant text; never a secret, a list or an object.</summary>
        private static string TextOf(string name, object? value) => value switch
        {
            null => "",
            string text => text,
            bool flag => flag ? "true" : "false",
            IFormattable number when value is int || value is long || value is double || value is decimal => number.ToString(null, CultureInfo.InvariantCulture),
            SecureString or PSCredential => throw new TokenParameterException(null, $"-TokenParameter '{name}'",
                "is a secret: credentials come only from a vault, -Credential or an assertion source, never as a token parameter"),
            _ => throw new TokenParameterException(null, $"-TokenParameter '{name}'", $"is a {value.GetType().Name}; give text or a number"),
        };
    }
}
