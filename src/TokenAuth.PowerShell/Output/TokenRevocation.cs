using TokenAuth.Tokens;

namespace TokenAuth.Commands
{
    /// <summary>What Revoke-ProviderToken did.</summary>
    public sealed class TokenRevocation
    {
        internal TokenRevocation(RevokeResult result)
        {
            Provider = result.Provider;
            Forgotten = result.Forgotten;
            ProviderNotified = result.ProviderNotified;
            Message = result.Message;
        }

        internal TokenRevocation(int forgotten)
        {
            Provider = "*";
            Forgotten = forgotten > 0;
            Message = $"The session forgot {forgotten} cached token(s); the providers were not told.";
        }

        public string Provider { get; }

        public bool Forgotten { get; }

        public bool ProviderNotified { get; }

        public string Message { get; }
    }
}
