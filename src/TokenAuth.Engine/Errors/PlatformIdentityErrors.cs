namespace TokenAuth.Errors
{
    /// <summary>
    /// A per-call token parameter (-TenantId, -Resource, -Audience, -TokenParameter) that cannot be sent as given: one
    /// that would move the token call to another origin, take the place of a credential field, or that the definition
    /// has no use for. Names the parameter, never a credential.
    /// </summary>
    public sealed class TokenParameterException : TokenAuthException
    {
        public TokenParameterException(string? provider, string parameter, string problem, bool changesOrigin = false)
            : base($"{(provider == null ? "" : provider + ": ")}{parameter} {problem}; nothing was sent.", provider)
        {
            Parameter = parameter;
            ChangesOrigin = changesOrigin;
        }

        /// <summary>The parameter as the user gave it (-TenantId, -TokenParameter 'client_secret'...).</summary>
        public string Parameter { get; }

        /// <summary>The value would have sent the token call to another scheme, host or port than the definition's.</summary>
        public bool ChangesOrigin { get; }

        public override string ErrorId => ChangesOrigin ? "TokenParameterChangesOrigin" : "TokenParameterRefused";
    }

    /// <summary>What went wrong getting a managed identity's token.</summary>
    public enum ManagedIdentityProblem
    {
        /// <summary>The endpoint refused, could not be read, or its answer holds no token.</summary>
        Unavailable,

        /// <summary>The environment names an endpoint TokenAuth will not send the platform's secret to (not this machine's own).</summary>
        EndpointRefused,

        /// <summary>Azure Arc's challenge named a key file outside the agent's own folder, or one that is not a small .key file.</summary>
        KeyFileRefused,
    }

    /// <summary>
    /// No token from the machine's managed identity endpoint (App Service and Functions, Azure Arc, the instance metadata
    /// service). Names the endpoint kind and what is wrong; never the identity header, the Arc key or a token.
    /// </summary>
    public sealed class ManagedIdentityException : TokenAuthException
    {
        public ManagedIdentityException(string provider, ManagedIdentityProblem problem, string message)
            : base($"{provider}: {message}", provider)
        {
            Problem = problem;
        }

        public ManagedIdentityProblem Problem { get; }

        public override string ErrorId => Problem switch
        {
            ManagedIdentityProblem.EndpointRefused => "ManagedIdentityEndpointRefused",
            ManagedIdentityProblem.KeyFileRefused => "ArcKeyFileRefused",
            _ => "ManagedIdentityUnavailable",
        };
    }
}
