using System;
using System.Linq;
using TokenAuth.Errors;

namespace TokenAuth.Providers
{
    /// <summary>
    /// Where a call to a token service goes: the definition's path with the call's {TenantId}, {Resource} and {Audience}
    /// put in, each escaped as one path segment, and never anywhere but the definition's own origin. A value that would
    /// change the scheme, host or port is refused by name (one Entra ID definition serves many tenants, none of which
    /// may send the credential to a host the definition does not name).
    /// </summary>
    internal static class CallEndpoints
    {
        public static Uri For(ProviderTarget target, string path, TokenParameters parameters)
        {
            if (path.IndexOf('{') < 0)
            {
                return target.ServiceEndpoint(path);
            }

            var provider = target.ProviderName;
            var rendered = path;
            var neutral = path;
            foreach (var name in FieldTemplates.PlaceholdersIn(path).Distinct(StringComparer.Ordinal))
            {
                var value = name switch
                {
                    "TenantId" => parameters.TenantId,
                    "Resource" => parameters.SingleResource(provider, "the endpoint's path"),
                    "Audience" => parameters.Audience,
                    _ => throw new ProviderConfigurationException($"{provider}: the endpoint path names {{{name}}}, which a path cannot hold; "
                        + $"a path may name {string.Join(" ", FieldTemplates.CallPlaceholders.Select(known => "{" + known + "}"))}.", provider, "path"),
                };
                if (value == null)
                {
                    throw new TokenParameterException(provider, "-" + name, $"is needed: the definition's token path names {{{name}}}");
                }

                if (value.Contains(".."))
                {
                    throw new TokenParameterException(provider, "-" + name, "holds '..', which would climb out of the definition's path", changesOrigin: true);
                }

                rendered = rendered.Replace("{" + name + "}", Uri.EscapeDataString(value));
                neutral = neutral.Replace("{" + name + "}", "x");
            }

            // Checked after the values are in, whatever was checked before: the origin is the definition's, or nothing is sent.
            Uri endpoint;
            try
            {
                endpoint = target.ServiceEndpoint(rendered);
            }
            catch (UriFormatException)
            {
                throw new TokenParameterException(provider, "A token parameter", "makes the token path no valid address", changesOrigin: true);
            }

            var expected = target.ServiceEndpoint(neutral);
            if (!string.Equals(endpoint.Scheme, expected.Scheme, StringComparison.OrdinalIgnoreCase)
                || !string.Equals(endpoint.IdnHost, expected.IdnHost, StringComparison.OrdinalIgnoreCase)
                || endpoint.Port != expected.Port || endpoint.UserInfo.Length > 0)
            {
                throw new TokenParameterException(provider, "A token parameter", $"would send the token call to {endpoint.Scheme}://{endpoint.IdnHost}:{endpoint.Port}, "
                    + $"not the definition's {expected.Scheme}://{expected.IdnHost}:{expected.Port}", changesOrigin: true);
            }

            return endpoint;
        }
    }
}
