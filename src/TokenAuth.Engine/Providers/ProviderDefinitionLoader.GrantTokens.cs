using System;
using System.Collections.Generic;
using System.Linq;

namespace TokenAuth.Providers
{
    /// <summary>
    /// The checks on a definition's grant tokens (token.subject, token.actor): token exchange (RFC 8693), the JWT-bearer
    /// grant (RFC 7523 2.1) and logins such as Vault's, which send a token from an assertion source as a body field.
    /// </summary>
    public static partial class ProviderDefinitionLoader
    {
        private const string SubjectPlaceholder = "{SubjectToken}";
        private const string ActorPlaceholder = "{ActorToken}";

        private static bool IsGrantTokenTemplate(string template) =>
            template.IndexOf(SubjectPlaceholder, StringComparison.Ordinal) >= 0 || template.IndexOf(ActorPlaceholder, StringComparison.Ordinal) >= 0;

        private static IEnumerable<Problem> ValidateGrantTokens(ProviderDefinition definition)
        {
            var token = definition.Token;
            foreach (var problem in ValidateGrantToken(token, token.Subject, SubjectPlaceholder, "$.token.subject"))
            {
                yield return problem;
            }

            foreach (var problem in ValidateGrantToken(token, token.Actor, ActorPlaceholder, "$.token.actor"))
            {
                yield return problem;
            }

            if (token.Actor != null && token.Subject == null)
            {
                yield return new Problem("$.token.actor", "goes with token.subject: an actor token acts for a subject (RFC 8693)");
            }

            if (token.Subject != null && token.TakesAssertion)
            {
                yield return new Problem("$.token.subject",
                    $"goes with clientAuthentication Body or Basic, not {token.ClientAuthentication}: the call's assertion source becomes the subject, so it cannot prove the client too");
            }
        }

        private static IEnumerable<Problem> ValidateGrantToken(TokenEndpointSpec token, GrantTokenSpec? spec, string placeholder, string at)
        {
            var whole = token.Fields.Where(field => field.Value == placeholder).Select(field => field.Key).ToList();
            foreach (var field in token.Fields.Where(field => field.Value != placeholder && (field.Value ?? "").IndexOf(placeholder, StringComparison.Ordinal) >= 0))
            {
                // Glued to other text it could not be told apart from it again, nor left out when the server wants it alone.
                yield return new Problem($"$.token.fields.{field.Key}", $"must be {placeholder} alone: a grant's token is a field's whole value");
            }

            if (spec == null)
            {
                if (whole.Count > 0)
                {
                    yield return new Problem($"$.token.fields.{whole[0]}", $"uses {placeholder}, which needs {at.Substring(2)} (an empty object will do: the source is named on the call)");
                }

                yield break;
            }

            if (whole.Count != 1)
            {
                yield return new Problem(at, $"needs exactly one field of token.fields whose value is {placeholder}, such as \"{(placeholder == ActorPlaceholder ? "actor_token" : "subject_token")}\": \"{placeholder}\"");
            }

            string? refusal = null;
            try
            {
                _ = spec.Source == null ? null : AssertionSourceName.Parse(spec.Source);
            }
            catch (ArgumentException ex)
            {
                refusal = ex.Message;
            }

            if (refusal != null)
            {
                yield return new Problem(at + ".source", refusal);
            }
        }
    }
}
