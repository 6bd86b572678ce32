using System;

namespace TokenAuth.Providers
{
    /// <summary>A token endpoint's answer as read: every value that will travel in a header already checked.</summary>
    internal sealed class TokenAnswer
    {
        public TokenAnswer(string value, string? tokenType, string scheme, string? refreshToken, string? scope, DateTimeOffset expiresOn, bool expiryAssumed)
        {
            Value = value;
            TokenType = tokenType;
            Scheme = scheme;
            RefreshToken = refreshToken;
            Scope = scope;
            ExpiresOn = expiresOn;
            ExpiryAssumed = expiryAssumed;
        }

        public string Value { get; }

        public string? TokenType { get; }

        /// <summary>The Authorization scheme the token goes with: the definition's, or the answer's token type where the definition says so.</summary>
        public string Scheme { get; }

        public string? RefreshToken { get; }

        /// <summary>The scope the answer names; null: it names none.</summary>
        public string? Scope { get; }

        public DateTimeOffset ExpiresOn { get; }

        /// <summary>The answer gave no expiry: the definition's default lifetime was assumed.</summary>
        public bool ExpiryAssumed { get; }
    }
}
