using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using TokenAuth.Errors;
using TokenAuth.Tokens;

namespace TokenAuth.Commands
{
    /// <summary>
    /// The engine's token store over SecretManagement (Get-Secret, Set-Secret, Remove-Secret, Get-SecretInfo), each call
    /// run in <see cref="SecretManagementRunspace"/>: the calling command waits for it only as long as the engine does
    /// (the token timeout), and nothing it does shows in the user's session ($Error, preferences, -WhatIf). SecretManagement
    /// is loaded on the first call, so a session that persists nothing never loads it. Each entry is one string secret.
    /// </summary>
    internal sealed class SecretManagementTokenStore : ITokenStore
    {
        private const string Module = SecretManagementStore.Module;

        public async Task<string?> ReadAsync(string vault, string name, CancellationToken cancellationToken)
        {
            try
            {
                return (await InvokeAsync(vault, name, "Get-Secret", cancellationToken, ("Name", name), ("Vault", vault), ("AsPlainText", true)).ConfigureAwait(false))
                    .Select(result => result.BaseObject).FirstOrDefault() switch
                    {
                        string text => text,
                        null => null,
                        // Anything but a string under a TokenAuth name is not an entry: the engine reports it and replaces it.
                        var other => other.GetType().Name,
                    };
            }
            catch (SecretLookupException ex) when (ex.Failure == SecretFailure.SecretNotFound)
            {
                return null;
            }
        }

        public Task WriteAsync(string vault, string name, string text, CancellationToken cancellationToken) =>
            InvokeAsync(vault, name, "Set-Secret", cancellationToken, ("Name", name), ("Vault", vault), ("Secret", text));

        public async Task<int> RemoveAsync(string vault, IReadOnlyCollection<string> names, CancellationToken cancellationToken)
        {
            var removed = 0;
            foreach (var name in names)
            {
                try
                {
                    await InvokeAsync(vault, name, "Remove-Secret", cancellationToken, ("Name", name), ("Vault", vault)).ConfigureAwait(false);
                    removed++;
                }
                catch (SecretLookupException ex) when (ex.Failure == SecretFailure.SecretNotFound)
                {
                    // Gone already (another process removed it): nothing to count.
                }
            }

            return removed;
        }

        public async Task<IReadOnlyList<string>> ListAsync(string vault, string prefix, CancellationToken cancellationToken) =>
            (await InvokeAsync(vault, prefix, "Get-SecretInfo", cancellationToken, ("Name", WildcardPattern.Escape(prefix) + "*"), ("Vault", vault)).ConfigureAwait(false))
                .Select(info => info.Properties["Name"]?.Value as string)
                .Where(name => name != null && name.StartsWith(prefix, StringComparison.Ordinal))
                .ToList()!;

        /// <summary>One SecretManagement command; its failure sorted into the kinds a user can act on.</summary>
        private static async Task<Collection<PSObject>> InvokeAsync(string vault, string name, string command, CancellationToken cancellationToken,
            params (string Name, object Value)[] parameters)
        {
            try
            {
                return await SecretManagementRunspace.InvokeAsync(powerShell =>
                {
                    powerShell.AddCommand(Module + "\\" + command);
                    foreach (var (parameter, value) in parameters)
                    {
                        powerShell.AddParameter(parameter, value);
                    }

                    // A vault that would ask for its password fails instead (the runspace has no host to ask through).
                    powerShell.AddParameter("ErrorAction", ActionPreference.Stop).AddParameter("WarningAction", ActionPreference.SilentlyContinue);
                    if (command is "Set-Secret" or "Remove-Secret")
                    {
                        // Whatever $ConfirmPreference says, the cache's bookkeeping asks nobody.
                        powerShell.AddParameter("Confirm", false).AddParameter("WhatIf", false);
                    }
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (RuntimeException ex)
            {
                var doing = command switch
                {
                    "Set-Secret" => $"Writing the secret '{name}'",
                    "Remove-Secret" => $"Removing the secret '{name}'",
                    "Get-SecretInfo" => $"Listing the secrets '{name}*'",
                    _ => null,
                };
                throw SecretManagementStore.Classify(ex.ErrorRecord, name, vault, ex, doing);
            }
        }
    }
}
