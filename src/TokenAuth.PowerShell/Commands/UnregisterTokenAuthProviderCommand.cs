using System.Management.Automation;

namespace TokenAuth.Commands
{
    /// <summary>Unregister-TokenAuthProvider: forgets a provider you registered, in this session and, when it was kept with -Persist, for later ones.</summary>
    [Cmdlet(VerbsLifecycle.Unregister, "TokenAuthProvider", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(void))]
    public sealed class UnregisterTokenAuthProviderCommand : TokenAuthCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(ProviderNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; } = "";

        protected override void ProcessRecord() => ForItem(Name, () =>
        {
            if (!ShouldProcess(Name, "Unregister the provider (and its persisted registration)"))
            {
                return;
            }

            var registered = TokenAuthSession.Providers.Unregister(Name);
            var persisted = PersistedProviders.Remove(Name);
            if (!registered && !persisted)
            {
                WriteError(new ErrorRecord(new ItemNotFoundException($"No provider named '{Name}' is registered."), "ProviderNotRegistered", ErrorCategory.ObjectNotFound, Name));
            }
        });
    }
}
