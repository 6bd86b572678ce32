using System.Threading.Tasks;
using TokenAuth.Credentials;
using TokenAuth.Errors;
using TokenAuth.Providers;

namespace TokenAuth.Tokens
{
    /// <summary>
    /// The tokens a grant carries in its body (token exchange, the JWT-bearer grant, Vault's JWT login): the subject from
    /// the request's assertion source and the actor from its actor source, each fetched afresh for this token request
    /// alone and held by the call at once (hidden from its errors, masked in a CI's log), as client assertions are.
    /// </summary>
    internal sealed partial class TokenManager
    {
        private async Task<GrantTokens?> GrantTokensAsync(TokenCallContext call, TokenCache.Entry renewing)
        {
            var request = call.Request;
            var token = request.Target.Definition.Token;
            if (token.Subject == null)
            {
                return request.Claims == null ? null : new GrantTokens(null, null, request.Claims);
            }

            var subjectSource = request.AssertionSource
                ?? throw new CredentialException(call.Provider, "its subject token",
                    "has no source: the provider's grant sends a token from an assertion source (token.subject); pass -ClientAssertion SOURCE, "
                    + $"or give the session's source to this provider (Set-TokenAuthOption -ClientAssertion SOURCE -ClientAssertionProvider {call.Provider})"
                    + (token.Subject.Source is { } named ? $". Its definition names {named}, which is read only when you name it yourself" : ""));
            var subject = await FetchAssertionAsync(call, renewing, subjectSource).ConfigureAwait(false);
            string? actor = null;
            if (token.Actor != null)
            {
                var actorSource = request.ActorSource
                    ?? throw new CredentialException(call.Provider, "its actor token",
                        "has no source: the provider's grant sends an actor token (token.actor); pass -ActorAssertion SOURCE"
                        + (token.Actor.Source is { } actorNamed ? $". Its definition names {actorNamed}, which is read only when you name it yourself" : ""));
                actor = await FetchAssertionAsync(call, renewing, actorSource).ConfigureAwait(false);
            }

            return new GrantTokens(subject, actor, request.Claims);
        }
    }
}
