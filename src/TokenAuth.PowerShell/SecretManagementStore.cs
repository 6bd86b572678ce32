using System;
using System.Collections;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using Microsoft.PowerShell.Commands;
using System.Security;
using TokenAuth.Credentials;
using TokenAuth.Errors;

namespace TokenAuth.Commands
{
    /// <summary>
    /// Reads secrets through Microsoft.PowerShell.SecretManagement\Get-Secret in the caller's runspace, on the
    /// pipeline thread. Its failures are sorted into the kinds a user can act on. SecretManagement is imported here,
    /// when a vault is first read, not by the manifest: a step that authenticates without a vault never loads it.
    /// </summary>
    internal sealed class SecretManagementStore : ISecretStore
    {
        internal const string Module = "Microsoft.PowerShell.SecretManagement";

        /// <summary>
        /// Microsoft's module by its GUID and the oldest version TokenAuth supports, as RequiredModules would pin it: any
        /// folder on PSModulePath can hold a module of that name, and the one imported here is handed every secret read.
        /// </summary>
        private static readonly Guid ModuleGuid = new Guid("a5c858f6-4a8e-41f1-b1ee-0ff8f6ad69d3");
        private static readonly Version MinimumVersion = new Version(1, 1, 0);

        /// <summary>
        /// Held around every SecretManagement call TokenAuth makes in the process, from any runspace or thread: SecretManagement
        /// runs each vault call in one runspace of its own, which refuses a second call while one runs.
        /// </summary>
        internal static readonly SemaphoreSlim OneCallAtATime = new SemaphoreSlim(1, 1);

        private readonly PSCmdlet _cmdlet;

        public SecretManagementStore(PSCmdlet cmdlet)
        {
            _cmdlet = cmdlet;
        }

        public SecretValue GetSecret(string name, string? vault)
        {
            Import($"the secret '{name}'");
            using var powerShell = PowerShell.Create(RunspaceMode.CurrentRunspace);
            // SecretManagement's own multi-line warning (no vault registered) is replaced by our error, which says what to do.
            powerShell.AddCommand(Module + "\\Get-Secret").AddParameter("Name", name)
                .AddParameter("ErrorAction", ActionPreference.Stop).AddParameter("WarningAction", ActionPreference.SilentlyContinue);
            if (!string.IsNullOrEmpty(vault))
            {
                powerShell.AddParameter("Vault", vault);
            }

            System.Collections.ObjectModel.Collection<PSObject> results;
            EnterGate(name);
            try
            {
                results = powerShell.Invoke();
            }
            catch (RuntimeException ex)
            {
                throw vault == null && !AnyVaultRegistered() ? NoVaultRegistered(name, ex) : Classify(ex.ErrorRecord, name, vault, ex);
            }
            finally
            {
                OneCallAtATime.Release();
            }

            if (powerShell.Streams.Error.Count > 0)
            {
                throw Classify(powerShell.Streams.Error[0], name, vault, powerShell.Streams.Error[0].Exception);
            }

            var secret = results.FirstOrDefault()?.BaseObject;
            return secret switch
            {
                PSCredential credential => SecretValue.FromUserAndPassword(credential.UserName, credential.Password),
                Hashtable table => SecretValue.FromFields(table.Cast<DictionaryEntry>().ToDictionary(
                    entry => entry.Key.ToString() ?? "", entry => entry.Value is PSObject wrapped ? wrapped.BaseObject : (object?)entry.Value)),
                SecureString secure => SecretValue.FromSecureString(secure),
                string text => SecretValue.FromText(text),
                byte[] bytes => SecretValue.FromBytes(bytes),
                null => throw new SecretLookupException(SecretFailure.SecretNotFound, null, $"The secret '{name}' was not found{InVault(vault)}."),
                _ => SecretValue.Other(secret.GetType().Name),
            };
        }

        /// <summary>
        /// Waits for the token cache's vault call under way, if any (it runs on another thread), as long as the token
        /// timeout: one left to a vault that stopped answering may never end. Ctrl+C ends the wait too.
        /// </summary>
        private void EnterGate(string name)
        {
            var limit = TokenAuthSession.Engine.Options.TokenTimeout;
            var waiting = Stopwatch.StartNew();
            while (!OneCallAtATime.Wait(100))
            {
                if (_cmdlet.Stopping)
                {
                    throw new PipelineStoppedException();
                }

                if (waiting.Elapsed > limit)
                {
                    throw new SecretLookupException(SecretFailure.VaultFailed, null,
                        $"The secret '{name}' was not read: a vault call of the token cache's, before it, has not finished in {limit.TotalSeconds:0.###} s "
                        + "(a vault that stopped answering), and SecretManagement takes one call at a time in a process.");
                }
            }
        }

        /// <summary>
        /// Imports SecretManagement into the session, as RequiredModules would have, unless it is there already; explicitly,
        /// so that it does not depend on $PSModuleAutoLoadingPreference. <paramref name="what"/> names what is read, for
        /// the errors: "the secret 'TokenAuth.APIMW'".
        /// </summary>
        internal static void Import(string what)
        {
            using var powerShell = PowerShell.Create(RunspaceMode.CurrentRunspace);
            powerShell.AddCommand("Microsoft.PowerShell.Core\\Get-Module").AddParameter("Name", Module);
            var loaded = powerShell.Invoke<PSModuleInfo>();
            if (loaded.Count > 0)
            {
                if (loaded.Any(module => module.Guid != ModuleGuid || module.Version < MinimumVersion))
                {
                    throw new SecretLookupException(SecretFailure.VaultFailed, null,
                        $"The module loaded as {Module} is not Microsoft's (GUID {ModuleGuid}, version {MinimumVersion} or later), so {what} is not "
                        + $"asked of it: Remove-Module {Module}, and install Microsoft's with Install-PSResource {Module}.");
                }

                return;
            }

            powerShell.Commands.Clear();
            ImportPinned(powerShell, what);
        }

        /// <summary>Imports Microsoft's module, by its GUID and least version, into the runspace of <paramref name="powerShell"/>.</summary>
        internal static void ImportPinned(PowerShell powerShell, string what)
        {
            var pinned = new ModuleSpecification(new Hashtable { ["ModuleName"] = Module, ["GUID"] = ModuleGuid, ["ModuleVersion"] = MinimumVersion.ToString() });
            // The cmdlet itself, not a name to look up: nothing in the session can stand in for it, and a runspace needs none of its commands.
            powerShell.AddCommand(new CmdletInfo("Import-Module", typeof(ImportModuleCommand))).AddParameter("FullyQualifiedName", new[] { pinned }).AddParameter("Global")
                .AddParameter("ErrorAction", ActionPreference.Stop);
            try
            {
                powerShell.Invoke();
            }
            catch (RuntimeException ex) when (ex.ErrorRecord?.Exception is System.IO.FileNotFoundException)
            {
                throw new SecretLookupException(SecretFailure.ModuleMissing, null,
                    $"{Module} is not installed (Microsoft's, version {MinimumVersion} or later), so {what} cannot be read from a vault: "
                    + $"Install-PSResource {Module} (Install-Module on Windows PowerShell "
                    + "without PSResourceGet), with a vault such as Microsoft.PowerShell.SecretStore; or pass -Credential, or -ClientId for a provider that needs no secret.", ex);
            }
            catch (RuntimeException ex)
            {
                throw new SecretLookupException(SecretFailure.VaultFailed, null, $"Importing {Module} failed, so {what} cannot be read: {ex.Message}", ex);
            }
        }

        private bool AnyVaultRegistered()
        {
            using var powerShell = PowerShell.Create(RunspaceMode.CurrentRunspace);
            powerShell.AddCommand(Module + "\\Get-SecretVault").AddParameter("ErrorAction", ActionPreference.SilentlyContinue);
            return powerShell.Invoke().Count > 0;
        }

        private static SecretLookupException NoVaultRegistered(string name, Exception inner) =>
            new SecretLookupException(SecretFailure.VaultNotFound, null,
                $"No secret vault is registered, so the secret '{name}' cannot be read: register one (for example Register-SecretVault -Name TokenAuth "
                + "-ModuleName Microsoft.PowerShell.SecretStore -DefaultVault) and store the secret with Set-Secret, or pass -Credential.", inner);

        /// <summary>
        /// A SecretManagement failure as the kind a user can act on; <paramref name="doing"/> says what failed where no kind
        /// fits ("Writing the secret 'x'"), reading the secret by default.
        /// </summary>
        internal static SecretLookupException Classify(ErrorRecord? error, string name, string? vault, Exception inner, string? doing = null)
        {
            var id = error?.FullyQualifiedErrorId ?? "";
            // SecretManagement wraps the vault's own reason ("Unable to get secret x from vault y"); the reason is innermost.
            var cause = error?.Exception ?? inner;
            while (cause.InnerException != null)
            {
                cause = cause.InnerException;
            }

            var message = cause.Message;
            if (id.StartsWith("GetSecretVaultNotFound", StringComparison.Ordinal))
            {
                return new SecretLookupException(SecretFailure.VaultNotFound, null,
                    $"There is no secret vault named '{vault}': Get-SecretVault lists the registered ones.", inner);
            }

            if (id.StartsWith("GetSecretNotFound", StringComparison.Ordinal))
            {
                return new SecretLookupException(SecretFailure.SecretNotFound, null,
                    $"The secret '{name}' was not found{InVault(vault)}: store it with Set-Secret, or name another with -SecretName.", inner);
            }

            if (message.IndexOf("password", StringComparison.OrdinalIgnoreCase) >= 0 || message.IndexOf("locked", StringComparison.OrdinalIgnoreCase) >= 0
                || message.IndexOf("prompt", StringComparison.OrdinalIgnoreCase) >= 0)
            {
                return new SecretLookupException(SecretFailure.VaultLocked, null,
                    $"The vault{(vault == null ? "" : " '" + vault + "'")} is locked and this session cannot prompt for its password: "
                    + "unlock it first (Unlock-SecretStore -Password ...) or configure it for unattended use.", inner);
            }

            return new SecretLookupException(SecretFailure.VaultFailed, null, $"{doing ?? $"Reading the secret '{name}'"}{InVault(vault)} failed: {message}", inner);
        }

        private static string InVault(string? vault) => vault == null ? " in the default vault" : $" in the vault '{vault}'";
    }
}
