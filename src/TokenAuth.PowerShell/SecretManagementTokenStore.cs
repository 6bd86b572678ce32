using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using TokenAuth.Credentials;
using TokenAuth.Errors;
using TokenAuth.Tokens;

namespace TokenAuth.Commands
{
    /// <summary>
    /// The engine's token store over SecretManagement (Get-Secret, Set-Secret, Remove-Secret, Get-SecretInfo): each call
    /// runs on the calling command's pipeline thread, where PowerShell runs commands, through the command's host, and is
    /// stopped when the engine's time for it runs out. SecretManagement is imported on the first call, so a session that
    /// persists nothing never loads it. Each entry is one string secret.
    /// </summary>
    internal sealed class SecretManagementTokenStore : ITokenStore
    {
        private const string Module = SecretManagementStore.Module;
        private static readonly string[] ChangesState = { "Set-Secret", "Remove-Secret" };

        public Task<string?> ReadAsync(string vault, string name, IClientAssertionHost? host, CancellationToken cancellationToken) =>
            OnPipelineThread(host, cancellationToken, () =>
            {
                try
                {
                    return Invoke(cancellationToken, vault, name, "Get-Secret", ("Name", name), ("Vault", vault), ("AsPlainText", true))
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
                    ForgetInErrorVariable(ex.InnerException);
                    return null;
                }
            });

        public Task WriteAsync(string vault, string name, string text, IClientAssertionHost? host, CancellationToken cancellationToken) =>
            OnPipelineThread(host, cancellationToken, () =>
            {
                Invoke(cancellationToken, vault, name, "Set-Secret", ("Name", name), ("Vault", vault), ("Secret", text));
                return null;
            });

        public async Task<int> RemoveAsync(string vault, IReadOnlyCollection<string> names, IClientAssertionHost? host, CancellationToken cancellationToken)
        {
            var removed = 0;
            await OnPipelineThread(host, cancellationToken, () =>
            {
                foreach (var name in names)
                {
                    try
                    {
                        Invoke(cancellationToken, vault, name, "Remove-Secret", ("Name", name), ("Vault", vault));
                        removed++;
                    }
                    catch (SecretLookupException ex) when (ex.Failure == SecretFailure.SecretNotFound)
                    {
                        // Gone already (another process removed it): nothing to count.
                        ForgetInErrorVariable(ex.InnerException);
                    }
                }

                return null;
            }).ConfigureAwait(false);
            return removed;
        }

        public async Task<IReadOnlyList<string>> ListAsync(string vault, string prefix, IClientAssertionHost? host, CancellationToken cancellationToken)
        {
            var names = new List<string>();
            await OnPipelineThread(host, cancellationToken, () =>
            {
                names.AddRange(Invoke(cancellationToken, vault, prefix, "Get-SecretInfo", ("Name", WildcardPattern.Escape(prefix) + "*"), ("Vault", vault))
                    .Select(info => info.Properties["Name"]?.Value as string)
                    .Where(name => name != null && name.StartsWith(prefix, StringComparison.Ordinal))!);
                return null;
            }).ConfigureAwait(false);
            return names;
        }

        /// <summary>
        /// Takes out of the user's $Error what a lookup that found nothing left there: an entry not there yet is how every
        /// first process starts, the cache's own bookkeeping, not an error of the user's command.
        /// </summary>
        private static void ForgetInErrorVariable(Exception? failure)
        {
            if (failure is not RuntimeException stopped)
            {
                return;
            }

            using var powerShell = PowerShell.Create(RunspaceMode.CurrentRunspace);
            powerShell.AddCommand("Microsoft.PowerShell.Utility\\Get-Variable").AddParameter("Name", "Error").AddParameter("Scope", "Global").AddParameter("ValueOnly");
            if (powerShell.Invoke().FirstOrDefault()?.BaseObject is ArrayList errors)
            {
                for (var i = errors.Count - 1; i >= 0; i--)
                {
                    var entry = errors[i] is PSObject wrapped ? wrapped.BaseObject : errors[i];
                    if (ReferenceEquals(entry, stopped) || ReferenceEquals(entry, stopped.ErrorRecord)
                        || (entry is ErrorRecord record && (ReferenceEquals(record.Exception, stopped) || ReferenceEquals(record.Exception, stopped.ErrorRecord?.Exception))))
                    {
                        errors.RemoveAt(i);
                    }
                }
            }
        }

        /// <summary>The work, run when the command's pipeline thread next waits on the engine (PowerShell runs commands only there).</summary>
        private static async Task<string?> OnPipelineThread(IClientAssertionHost? host, CancellationToken cancellationToken, Func<string?> work) =>
            host == null
                ? throw new InvalidOperationException("a SecretManagement vault is reached only from within a PowerShell command")
                : await host.RunOnCallerThreadAsync(() => work()!, cancellationToken).ConfigureAwait(false);

        /// <summary>One SecretManagement command, stopped when <paramref name="stop"/> is cancelled (the engine's time for the vault ran out).</summary>
        private static Collection<PSObject> Invoke(CancellationToken stop, string vault, string name, string command, params (string Name, object Value)[] parameters)
        {
            SecretManagementStore.Import(name);
            using var powerShell = PowerShell.Create(RunspaceMode.CurrentRunspace);
            powerShell.AddCommand(Module + "\\" + command);
            foreach (var (parameter, value) in parameters)
            {
                powerShell.AddParameter(parameter, value);
            }

            // A vault that would ask for its password fails instead (SecretStore with -Interaction None, or a non-interactive host).
            powerShell.AddParameter("ErrorAction", ActionPreference.Stop).AddParameter("WarningAction", ActionPreference.SilentlyContinue);
            if (ChangesState.Contains(command))
            {
                // The caller's -WhatIf or $ConfirmPreference is about its own command, not the cache's bookkeeping.
                powerShell.AddParameter("Confirm", false).AddParameter("WhatIf", false);
            }

            using var stopping = stop.Register(static state => ((PowerShell)state!).BeginStop(null, null), powerShell);
            try
            {
                var results = powerShell.Invoke();
                if (powerShell.Streams.Error.Count > 0)
                {
                    throw SecretManagementStore.Classify(powerShell.Streams.Error[0], name, vault, powerShell.Streams.Error[0].Exception);
                }

                return results;
            }
            catch (RuntimeException ex)
            {
                throw SecretManagementStore.Classify(ex.ErrorRecord, name, vault, ex);
            }
        }
    }
}
