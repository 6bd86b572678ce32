using System;
using System.Collections.Generic;
using System.Globalization;

namespace TokenAuth.Providers
{
    /// <summary>A rendered field value; <see cref="IsNumber"/> makes JSON bodies carry it as a number.</summary>
    internal readonly struct RenderedValue
    {
        public RenderedValue(string text, bool isNumber)
        {
            Text = text;
            IsNumber = isNumber;
        }

        public string Text { get; }

        public bool IsNumber { get; }
    }

    /// <summary>The values a call can fill its templates with.</summary>
    internal sealed class TemplateValues
    {
        public TemplateValues(ICredentialValues credential, string? scope = null, TimeSpan? lifetime = null, string? refreshToken = null, string? accessToken = null,
            GrantTokens? grant = null)
        {
            Grant = grant ?? GrantTokens.None;
            Credential = credential;
            Scope = scope;
            Lifetime = lifetime;
            RefreshToken = refreshToken;
            AccessToken = accessToken;
        }

        public ICredentialValues Credential { get; }

        public string? Scope { get; }

        public TimeSpan? Lifetime { get; }

        public string? RefreshToken { get; }

        public string? AccessToken { get; }

        /// <summary>The grant's subject and actor tokens, and the claims a challenge asked for.</summary>
        public GrantTokens Grant { get; }

        public string? Get(string placeholder) => CredentialFields.TryParse(placeholder, ignoreCase: false, out var field) ? Credential.Get(field) : placeholder switch
        {
            "Scope" => Scope,
            "Lifetime" => Lifetime.HasValue ? ((long)Lifetime.Value.TotalSeconds).ToString(CultureInfo.InvariantCulture) : null,
            "RefreshToken" => RefreshToken,
            "AccessToken" => AccessToken,
            "SubjectToken" => Grant.SubjectToken,
            "ActorToken" => Grant.ActorToken,
            _ => null,
        };
    }

    /// <summary>
    /// What one token request carries beside the definition's fields: a subject and actor token fetched for it alone,
    /// and the claims an API's challenge asked for (sent as the claims field, never anywhere else).
    /// </summary>
    internal sealed class GrantTokens
    {
        public static readonly GrantTokens None = new GrantTokens(null, null, null);

        public GrantTokens(string? subjectToken, string? actorToken, string? claims)
        {
            SubjectToken = subjectToken;
            ActorToken = actorToken;
            Claims = claims;
        }

        public string? SubjectToken { get; }

        public string? ActorToken { get; }

        /// <summary>The claims request (OpenID Connect 5.5) as JSON text; null: none.</summary>
        public string? Claims { get; }
    }

    /// <summary>Field and header templates: literal text with {Placeholder}s.</summary>
    internal static class FieldTemplates
    {
        /// <summary>Placeholders that may have no value: a field made of one of them alone is then left out.</summary>
        public static readonly IReadOnlyList<string> OptionalPlaceholders = new[] { "Scope", "Lifetime" };

        /// <summary>The placeholders a template names, in order; unbalanced braces are reported as a placeholder named "{".</summary>
        public static IEnumerable<string> PlaceholdersIn(string template)
        {
            var start = template.IndexOf('{');
            while (start >= 0)
            {
                var end = template.IndexOf('}', start + 1);
                if (end < 0)
                {
                    yield return "{";
                    yield break;
                }

                yield return template.Substring(start + 1, end - start - 1);
                start = template.IndexOf('{', end + 1);
            }
        }

        /// <summary>The value to send, or null when the field is to be left out.</summary>
        public static RenderedValue? Render(string template, TemplateValues values)
        {
            if (template.Length > 2 && template[0] == '{' && template[template.Length - 1] == '}' && template.IndexOf('{', 1) < 0)
            {
                var name = template.Substring(1, template.Length - 2);
                var whole = values.Get(name);
                return whole == null ? (RenderedValue?)null : new RenderedValue(whole, name == "Lifetime");
            }

            var text = template;
            foreach (var name in PlaceholdersIn(template))
            {
                text = text.Replace("{" + name + "}", values.Get(name) ?? "");
            }

            return new RenderedValue(text, false);
        }
    }
}
