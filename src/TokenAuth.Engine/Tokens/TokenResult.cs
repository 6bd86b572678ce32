namespace TokenAuth.Tokens
{
    /// <summary>A token and whether it came from the session cache.</summary>
    public readonly struct TokenResult
    {
        public TokenResult(AccessToken token, bool fromCache)
        {
            Token = token;
            FromCache = fromCache;
        }

        public AccessToken Token { get; }

        public bool FromCache { get; }
    }
}
