using System.Collections.Generic;
using System.Linq;
using TokenAuth.Providers;

namespace TokenAuth.Credentials
{
    /// <summary>
    /// What a provider definition's token.assertion.source would take from this machine (a pipeline's OIDC token for
    /// an audience of the definition's choosing, a variable, a file) and where it would send it. A definition is
    /// anyone's JSON, so its source is never used on its own say: it is shown when the definition is registered and
    /// listed, and only a source the user names (on the call, or for the provider in the session) is ever read.
    /// </summary>
    public sealed class AmbientIdentity
    {
        private AmbientIdentity(ClientAssertionSource source, IReadOnlyList<string> tokenEndpoints, string? trustedCertificates)
        {
            Source = source;
            TokenEndpoints = tokenEndpoints;
            TrustedCertificates = trustedCertificates;
        }

        /// <summary>The source the definition names, as it names it.</summary>
        public ClientAssertionSource Source { get; }

        /// <summary>Where the assertion would go: the token endpoint in each of the definition's environments (a -BaseUri replaces them).</summary>
        public IReadOnlyList<string> TokenEndpoints { get; }

        /// <summary>The definition's own CA bundle, which would vouch for those endpoints; null: the machine's trust alone.</summary>
        public string? TrustedCertificates { get; }

        /// <summary>The definition's ambient identity; null when it names no source.</summary>
        public static AmbientIdentity? Of(ProviderDefinition definition)
        {
            var token = definition.Token;
            // A grant's subject is the same kind of ambient identity, sent as a body field instead (token.subject).
            var named = token.ClientAuthentication == ClientAuthentication.FederatedAssertion ? token.Assertion?.Source : token.Subject?.Source;
            if (named == null)
            {
                return null;
            }

            var endpoints = ProviderTarget.IsAbsoluteAddress(token.Path)
                ? new[] { token.Path }
                : definition.Environments.Values.Select(baseUri => ProviderTarget.Resolve(definition, baseUri: baseUri).ServiceEndpoint(token.Path).AbsoluteUri).ToArray();
            return new AmbientIdentity(ClientAssertionSource.Parse(named), endpoints, definition.TrustedCertificates);
        }

        /// <summary>One sentence: what the source takes, where it would go, and which CAs would vouch for that.</summary>
        public string Describe(string provider) =>
            $"The definition of {provider} names the client assertion source {Source.Description}: {Source.Takes}, "
            + $"to be sent to {(TokenEndpoints.Count == 0 ? "the token endpoint at the -BaseUri given" : string.Join(" or ", TokenEndpoints))}"
            + (TrustedCertificates == null ? "" : $", trusting the CAs in {TrustedCertificates}")
            + $". TokenAuth reads it only when you name that source yourself: -ClientAssertion on a call, or for the session "
            + $"Set-TokenAuthOption -ClientAssertion '{Source.Description}' -ClientAssertionProvider {provider}.";
    }
}
