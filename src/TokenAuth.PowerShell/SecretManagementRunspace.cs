using System;
using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.PowerShell.Commands;

namespace TokenAuth.Commands
{
    /// <summary>
    /// A runspace of TokenAuth's own, with Microsoft's SecretManagement imported, where the token cache's vault calls run
    /// (<see cref="SecretManagementTokenStore"/>), on its own thread rather than the calling command's pipeline thread.
    /// SecretManagement cannot be stopped in the middle of a vault call: a call the engine gives up on (a vault that has
    /// stopped answering) runs on here until the vault answers, while the command goes on without it. One per process,
    /// opened on the thread pool when first asked for. It has no host, so a vault can never prompt from here.
    /// </summary>
    internal static class SecretManagementRunspace
    {
        private static readonly object Gate = new object();
        private static Task<Runspace>? _opening;

        /// <summary>Starts opening the runspace, so that it is ready when the first vault call comes (a credential read meanwhile takes longer).</summary>
        public static void Prepare() => _ = Opening();

        /// <summary>
        /// Runs one SecretManagement command, once no other SecretManagement call of TokenAuth's runs in the process. Cancelling
        /// stops waiting for that turn, and asks the command to stop (which SecretManagement's commands do only between vault calls).
        /// </summary>
        public static async Task<Collection<PSObject>> InvokeAsync(Action<PowerShell> command, CancellationToken cancellationToken)
        {
            var runspace = await Opening().ConfigureAwait(false);
            await SecretManagementStore.OneCallAtATime.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                using var powerShell = PowerShell.Create();
                powerShell.Runspace = runspace;
                command(powerShell);
                using var stopping = cancellationToken.Register(static state => ((PowerShell)state!).BeginStop(null, null), powerShell);
                var results = await Task.Factory.FromAsync(powerShell.BeginInvoke(), powerShell.EndInvoke).ConfigureAwait(false);
                if (powerShell.Streams.Error.Count > 0)
                {
                    // A command's error that did not stop it, thrown as one that did: both are sorted by their ErrorRecord.
                    var error = powerShell.Streams.Error[0];
                    throw new RuntimeException(error.Exception?.Message ?? error.ToString(), error.Exception, error);
                }

                return new Collection<PSObject>(results);
            }
            finally
            {
                SecretManagementStore.OneCallAtATime.Release();
            }
        }

        /// <summary>The runspace, opened once; a failed opening (SecretManagement not installed) is tried again on the next call.</summary>
        private static Task<Runspace> Opening()
        {
            lock (Gate)
            {
                if (_opening == null || _opening.IsFaulted || _opening.IsCanceled)
                {
                    _opening = Task.Run(Open);
                }

                return _opening;
            }
        }

        private static Runspace Open()
        {
            // Nearly empty: SecretManagement's commands, imported below, are all it runs, and Get-Module is all they call here
            // (by name, when they open their own runspace for the vaults, to find where they were imported from). The default
            // session's providers, types and formats would double the opening's CPU (measured), on a small agent the step's own.
            var session = InitialSessionState.Create();
            session.Commands.Add(new SessionStateCmdletEntry("Get-Module", typeof(GetModuleCommand), null));
            var runspace = RunspaceFactory.CreateRunspace(session);
            runspace.ThreadOptions = PSThreadOptions.ReuseThread;
            runspace.Open();
            using var powerShell = PowerShell.Create();
            powerShell.Runspace = runspace;
            try
            {
                SecretManagementStore.ImportPinned(powerShell, "the token cache");
            }
            catch (Exception)
            {
                runspace.Dispose();
                throw;
            }

            CompileFirstCommand(powerShell);
            return runspace;
        }

        /// <summary>
        /// A first command, which asks no vault (it lists the registered ones): it compiles this runspace's pipeline and
        /// SecretManagement's binding here rather than in the first vault call (about 6 ms of it, measured). Whatever it
        /// meets, the vault calls meet again and report.
        /// </summary>
        private static void CompileFirstCommand(PowerShell powerShell)
        {
            powerShell.Commands.Clear();
            powerShell.AddCommand(SecretManagementStore.Module + "\\Get-SecretVault").AddParameter("ErrorAction", ActionPreference.Ignore);
            try
            {
                powerShell.Invoke();
            }
            catch (RuntimeException)
            {
                // Reported by the vault call that meets it.
            }
        }
    }
}
