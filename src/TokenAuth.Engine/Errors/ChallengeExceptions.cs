using System;
using System.Net;

namespace TokenAuth.Errors
{
    /// <summary>
    /// An API refused the token because it lacks a scope (RFC 6750 3.1 insufficient_scope): getting the same token again
    /// cannot help, so nothing is retried. <see cref="Scope"/> is the scope the API named, as it may be shown.
    /// </summary>
    public sealed class InsufficientScopeException : ErrorResponseException
    {
        public InsufficientScopeException(string provider, Uri endpoint, HttpStatusCode statusCode, string? scope, string? description)
            : base(provider, ProviderOperation.Request, endpoint, statusCode, "insufficient_scope", description,
                scope == null
                    ? "The token lacks a scope the API wants, and it named none; ask for the scope the API documents with -Scope."
                    : $"The token lacks the scope the API asks for: '{scope}'. Ask for it with -Scope (the client must be allowed it at {provider}).", null)
        {
            Scope = scope;
        }

        /// <summary>The scope (or scopes, space-separated) the API's challenge named; null when it named none.</summary>
        public string? Scope { get; }

        public override string ErrorId => "InsufficientScope";
    }

    /// <summary>
    /// An API wants a stronger or more recent sign-in than the token shows (RFC 9470 step-up,
    /// insufficient_user_authentication). A client credential cannot sign in again, so nothing is retried;
    /// <see cref="AcrValues"/> and <see cref="MaxAge"/> are what the API asked for.
    /// </summary>
    public sealed class UserAuthenticationRequiredException : ErrorResponseException
    {
        public UserAuthenticationRequiredException(string provider, Uri endpoint, HttpStatusCode statusCode, string? acrValues, long? maxAge, string? description)
            : base(provider, ProviderOperation.Request, endpoint, statusCode, "insufficient_user_authentication", description,
                "The API wants a stronger or more recent sign-in (RFC 9470)"
                + (acrValues == null ? "" : $": acr_values '{acrValues}'")
                + (maxAge == null ? "" : $"{(acrValues == null ? ":" : ",")} max_age {maxAge} s")
                + "; a token for this credential cannot give it, so the request was not retried.", null)
        {
            AcrValues = acrValues;
            MaxAge = maxAge;
        }

        /// <summary>The authentication context classes the API asked for, space-separated; null when it named none.</summary>
        public string? AcrValues { get; }

        /// <summary>The most seconds since the sign-in the API accepts; null when it named none.</summary>
        public long? MaxAge { get; }

        public override string ErrorId => "InsufficientUserAuthentication";
    }
}
