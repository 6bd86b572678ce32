using System;
using System.Collections.Generic;
using System.Linq;
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
            RemovedFromVault = result.RemovedFromVault == null ? Array.Empty<string>() : new[] { result.RemovedFromVault };
        }

        /// <param name="forgotten">How many tokens the session forgot.</param>
        /// <param name="removed">How many persisted entries each vault held that were removed.</param>
        internal TokenRevocation(int forgotten, IReadOnlyList<KeyValuePair<string, int>> removed)
        {
            Provider = "*";
            Forgotten = forgotten > 0;
            Message = $"The session forgot {forgotten} cached token(s); the providers were not told."
                + string.Concat(removed.Select(vault => $" Removed {vault.Value} persisted token entr{(vault.Value == 1 ? "y" : "ies")} from the vault '{vault.Key}'."));
            RemovedFromVault = removed.Where(vault => vault.Value > 0).Select(vault => vault.Key).ToArray();
        }

        public string Provider { get; }

        public bool Forgotten { get; }

        public bool ProviderNotified { get; }

        public string Message { get; }

        /// <summary>The vaults persisted entries were removed from; empty when none were.</summary>
        public string[] RemovedFromVault { get; }
    }
}
