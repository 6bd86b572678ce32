using System;
using TokenAuth.Credentials;
using TokenAuth.Errors;

namespace TokenAuth.Tokens
{
    /// <summary>What a token request adds for a grant that carries tokens (token exchange's actor) and for a claims challenge.</summary>
    public sealed partial class TokenRequest
    {
        /// <summary>Where the actor token comes from (RFC 8693 actor_token); null: none. Fetched afresh for each token request.</summary>
        public ClientAssertionSource? ActorSource { get; }

        /// <summary>The claims an API's challenge asked for (insufficient_claims), as JSON text, sent with the next token request; null: none.</summary>
        public string? Claims { get; }

        /// <summary>
        /// The same request with an actor token from <paramref name="actor"/>, for a definition whose grant has one
        /// (token.actor). Tokens got with different actors are cached apart.
        /// </summary>
        public TokenRequest WithActor(ClientAssertionSource actor)
        {
            if (actor == null)
            {
                throw new ArgumentNullException(nameof(actor));
            }

            if (Target.Definition.Token.Actor == null)
            {
                throw new InvalidRequestException(Target.ProviderName,
                    $"{Target.ProviderName}'s grant takes no actor token (its definition has no token.actor); -ActorAssertion goes only to one that does. Nothing was sent.");
            }

            return new TokenRequest(this, actor, Claims, Key.WithAssertionSource(Key.AssertionSource + " actor " + actor.Identity));
        }

        /// <summary>The same request, whose next token is asked for with the claims a challenge named; it replaces the cached token.</summary>
        internal TokenRequest WithClaims(string claims) => new TokenRequest(this, ActorSource, claims, Key);
    }
}
