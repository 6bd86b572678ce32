using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using TokenAuth.Errors;
using TokenAuth.Http;

namespace TokenAuth.Providers
{
    /// <summary>
    /// What a caller asks of one token call beyond the definition: the tenant (-TenantId, for a definition whose path or
    /// fields say {TenantId}), the resources (-Resource, RFC 8707, repeatable), the audience (-Audience) and other fields
    /// a server wants (-TokenParameter). Each is part of the cached token's identity (<see cref="Canonical"/>, order-independent).
    /// Checked when made: a tenant is one path segment of letters, digits, '.', '-' and '_', so that it cannot move the
    /// token call elsewhere; a resource is an absolute URI without a fragment (RFC 8707 2); no value holds a control
    /// character; and no extra field takes the place of a credential, the grant or one of the named parameters.
    /// </summary>
    public sealed class TokenParameters
    {
        /// <summary>No parameters: the call as the definition describes it.</summary>
        public static readonly TokenParameters None = new TokenParameters(null, null, null, null);

        /// <summary>
        /// Field names an extra parameter may not have: the credentials and the grant travel only as the definition and
        /// the credential say, and the named parameters have their own switches (so that each is checked as such).
        /// </summary>
        private static readonly HashSet<string> ReservedNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            "grant_type", "client_id", "client_secret", "client_assertion", "client_assertion_type", "assertion", "subject_token", "subject_token_type",
            "actor_token", "actor_token_type", "refresh_token", "code", "code_verifier", "redirect_uri", "username", "password", "scope", "resource",
            "audience", "tenant", "tenant_id", "api_key", "api_secret", "access_token",
        };

        /// <summary>Parts of a name that say it carries a credential: those go through a vault or an assertion source, never as plain text.</summary>
        private static readonly string[] CredentialWords = { "secret", "password", "assertion", "credential", "api_key", "apikey" };

        public TokenParameters(string? tenantId, IEnumerable<string>? resources, string? audience, IEnumerable<KeyValuePair<string, string>>? extra)
        {
            TenantId = string.IsNullOrEmpty(tenantId) ? null : CheckTenant(tenantId!);
            Resources = (resources ?? Array.Empty<string>()).Where(resource => !string.IsNullOrEmpty(resource)).Select(CheckResource)
                .Distinct(StringComparer.Ordinal).OrderBy(resource => resource, StringComparer.Ordinal).ToArray();
            Audience = string.IsNullOrEmpty(audience) ? null : CheckValue("-Audience", audience!);
            var fields = new List<KeyValuePair<string, string>>();
            foreach (var pair in extra ?? Array.Empty<KeyValuePair<string, string>>())
            {
                var name = CheckExtraName(pair.Key);
                if (fields.Any(known => string.Equals(known.Key, name, StringComparison.OrdinalIgnoreCase)))
                {
                    throw new TokenParameterException(null, $"-TokenParameter '{name}'", "is given twice");
                }

                fields.Add(new KeyValuePair<string, string>(name, CheckValue($"-TokenParameter '{name}'", pair.Value ?? "")));
            }

            Extra = fields.OrderBy(pair => pair.Key, StringComparer.Ordinal).ToArray();
            Canonical = ComputeCanonical();
        }

        /// <summary>The tenant, for {TenantId}; null: none given.</summary>
        public string? TenantId { get; }

        /// <summary>The resources (RFC 8707), sorted; empty: none given.</summary>
        public IReadOnlyList<string> Resources { get; }

        /// <summary>The audience, for {Audience} or an audience field; null: none given.</summary>
        public string? Audience { get; }

        /// <summary>Other fields for the token call, sorted by name.</summary>
        public IReadOnlyList<KeyValuePair<string, string>> Extra { get; }

        public bool IsEmpty => TenantId == null && Resources.Count == 0 && Audience == null && Extra.Count == 0;

        /// <summary>
        /// One text that tells these parameters apart from any others, whatever order they were given in: each value
        /// length-prefixed, so that no two different sets give the same text. Part of the cache key.
        /// </summary>
        public string Canonical { get; }

        /// <summary>The one resource a placeholder or a managed identity takes; a refusal when several were given.</summary>
        internal string? SingleResource(string? provider, string where)
        {
            if (Resources.Count > 1)
            {
                throw new TokenParameterException(provider, "-Resource", $"names {Resources.Count} resources, but {where} takes one");
            }

            return Resources.Count == 0 ? null : Resources[0];
        }

        public override string ToString() => IsEmpty ? "(none)" : string.Join(", ", Describe());

        private IEnumerable<string> Describe()
        {
            if (TenantId != null) yield return "TenantId=" + TenantId;
            foreach (var resource in Resources) yield return "Resource=" + resource;
            if (Audience != null) yield return "Audience=" + Audience;
            foreach (var pair in Extra) yield return pair.Key + "=" + pair.Value;
        }

        private string ComputeCanonical()
        {
            if (IsEmpty)
            {
                return "";
            }

            var text = new StringBuilder();
            void Add(string kind, string value) => text.Append(kind).Append(value.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(value).Append('\n');
            if (TenantId != null) Add("t", TenantId);
            foreach (var resource in Resources) Add("r", resource);
            if (Audience != null) Add("a", Audience);
            foreach (var pair in Extra)
            {
                Add("n", pair.Key);
                Add("v", pair.Value);
            }

            return text.ToString();
        }

        /// <summary>A tenant is an id or a domain name: one path segment that cannot leave the definition's path or host.</summary>
        private static string CheckTenant(string tenant)
        {
            foreach (var c in tenant)
            {
                if (!(c < 128 && (char.IsLetterOrDigit(c) || c == '.' || c == '-' || c == '_')))
                {
                    var shown = c < 32 || c == 127 ? $"U+{(int)c:X4}" : $"'{c}'";
                    throw new TokenParameterException(null, "-TenantId", $"holds {shown}: a tenant is a GUID or a domain name (letters, digits, '.', '-' and '_'), "
                        + "so that it cannot move the token call to another path or host", changesOrigin: c == '/' || c == '\\' || c == '?' || c == '#' || c == '@' || c == ':' || c == '%');
                }
            }

            if (tenant.Contains("..") || tenant[0] == '.' || tenant.Length > 256)
            {
                throw new TokenParameterException(null, "-TenantId", "is not a GUID or a domain name ('..', a leading '.', or over 256 characters)", changesOrigin: tenant.Contains(".."));
            }

            return tenant;
        }

        private static string CheckResource(string resource)
        {
            CheckValue("-Resource", resource);
            if (!Uri.TryCreate(resource, UriKind.Absolute, out var uri) || uri.Fragment.Length > 0 || resource.IndexOf('#') >= 0)
            {
                throw new TokenParameterException(null, $"-Resource '{Logging.Redaction.Printable(resource)}'", "must be an absolute URI without a fragment (RFC 8707), such as https://graph.microsoft.com");
            }

            return resource;
        }

        private static string CheckValue(string parameter, string value) =>
            HeaderValues.HasControlCharacter(value) || value.Length > 4096
                ? throw new TokenParameterException(null, parameter, "holds a line break or another control character, or is over 4096 characters")
                : value;

        private static string CheckExtraName(string? name)
        {
            if (string.IsNullOrEmpty(name) || name!.Length > 100 || !name.All(c => c < 128 && (char.IsLetterOrDigit(c) || c == '_' || c == '-' || c == '.')))
            {
                throw new TokenParameterException(null, "-TokenParameter", "needs field names of letters, digits, '_', '-' and '.'");
            }

            if (ReservedNames.Contains(name) || CredentialWords.Any(word => name.IndexOf(word, StringComparison.OrdinalIgnoreCase) >= 0))
            {
                throw new TokenParameterException(null, $"-TokenParameter '{name}'",
                    "would take the place of a credential, the grant or a parameter of its own (-Scope, -Resource, -Audience, -TenantId): "
                    + "credentials come only from a vault, -Credential or an assertion source, and the grant only from the definition");
            }

            return name;
        }
    }
}
