using System;
using System.Threading.Tasks;
using TokenAuth.Errors;

namespace TokenAuth.Credentials
{
    /// <summary>The caller's own code, run where the caller's host runs it.</summary>
    internal sealed class CallerThreadSource : ClientAssertionSource
    {
        private readonly Func<string> _produce;

        public CallerThreadSource(string description, string identity, Func<string> produce)
            : base(description, identity)
        {
            _produce = produce;
        }

        public override string Takes => "what " + Description + " returns";

        internal override Task<string> FetchAsync(AssertionFetch fetch) =>
            fetch.Host?.RunOnCallerThreadAsync(_produce, fetch.Cancellation)
            ?? throw new ClientAssertionException(fetch.Provider, Description, "it runs only within the PowerShell command that names it");
    }
}
