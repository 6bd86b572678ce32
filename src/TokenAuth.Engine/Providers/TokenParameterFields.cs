using System;
using System.Collections.Generic;
using System.Linq;
using TokenAuth.Errors;

namespace TokenAuth.Providers
{
    /// <summary>
    /// The per-call token parameters the token call carries as fields of their own, where the definition does not place
    /// them with a placeholder: each -Resource as a resource field (RFC 8707), -Audience as audience, and
    /// -TokenParameter's fields; in the body, or in the query of a GET.
    /// </summary>
    internal sealed class TokenParameterFields
    {
        public static readonly TokenParameterFields NoneAdded = new TokenParameterFields(Array.Empty<KeyValuePair<string, string>>());

        private TokenParameterFields(IReadOnlyList<KeyValuePair<string, string>> fields) => Fields = fields;

        public IReadOnlyList<KeyValuePair<string, string>> Fields { get; }

        public int Count => Fields.Count;

        public IEnumerable<KeyValuePair<string, string?>> AsQuery() => Fields.Select(pair => new KeyValuePair<string, string?>(pair.Key, pair.Value));

        /// <summary>
        /// The parameters, if the definition can take them: a tenant only where it names {TenantId} (else it would be
        /// silently dropped, and the token be for the definition's own tenant), and no -TokenParameter field the definition
        /// sets itself (its fields are its own: the grant, the credential's fields).
        /// </summary>
        public static TokenParameters Check(ProviderTarget target, TokenParameters? parameters)
        {
            if (parameters == null || parameters.IsEmpty)
            {
                return TokenParameters.None;
            }

            var token = target.Definition.Token;
            if (parameters.TenantId != null && !Mentions(token, "TenantId"))
            {
                throw new TokenParameterException(target.ProviderName, "-TenantId",
                    $"has nowhere to go: the definition of {target.ProviderName} names no {{TenantId}} in its token path, fields or headers");
            }

            // Several resources fit only a field that is {Resource} alone (repeated in a form, an array in JSON): refused here, before anything is sent.
            const string resource = "{Resource}";
            if (parameters.Resources.Count > 1
                && ((token.Path ?? "").Contains(resource) || token.Headers.Values.Any(value => (value ?? "").Contains(resource))
                    || token.Fields.Values.Any(value => value != resource && (value ?? "").Contains(resource))))
            {
                throw new TokenParameterException(target.ProviderName, "-Resource",
                    $"names {parameters.Resources.Count} resources, but the definition of {target.ProviderName} places {{Resource}} where only one fits");
            }

            foreach (var pair in parameters.Extra)
            {
                if (token.Fields.Keys.Any(name => string.Equals(name, pair.Key, StringComparison.OrdinalIgnoreCase))
                    || token.Headers.Keys.Any(name => string.Equals(name, pair.Key, StringComparison.OrdinalIgnoreCase)))
                {
                    throw new TokenParameterException(target.ProviderName, $"-TokenParameter '{pair.Key}'",
                        $"is a field the definition of {target.ProviderName} sets itself, and a call does not override a definition's fields");
                }
            }

            return parameters;
        }

        /// <summary>The fields to add to a token call: what no placeholder of the definition places.</summary>
        public static TokenParameterFields Unplaced(EndpointSpec spec, TokenParameters parameters)
        {
            if (parameters.IsEmpty)
            {
                return NoneAdded;
            }

            var fields = new List<KeyValuePair<string, string>>();
            if (!Mentions(spec, "Resource"))
            {
                fields.AddRange(parameters.Resources.Select(resource => new KeyValuePair<string, string>("resource", resource)));
            }

            if (parameters.Audience != null && !Mentions(spec, "Audience"))
            {
                fields.Add(new KeyValuePair<string, string>("audience", parameters.Audience));
            }

            fields.AddRange(parameters.Extra);
            return fields.Count == 0 ? NoneAdded : new TokenParameterFields(fields);
        }

        /// <summary>Whether the endpoint's path, fields or headers name the placeholder.</summary>
        internal static bool Mentions(EndpointSpec spec, string placeholder)
        {
            var marker = "{" + placeholder + "}";
            return (spec.Path ?? "").Contains(marker) || spec.Fields.Values.Any(value => (value ?? "").Contains(marker))
                || spec.Headers.Values.Any(value => (value ?? "").Contains(marker));
        }
    }
}
