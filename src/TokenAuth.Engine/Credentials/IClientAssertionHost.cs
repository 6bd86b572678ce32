using System;
using System.Threading;
using System.Threading.Tasks;

namespace TokenAuth.Credentials
{
    /// <summary>
    /// What the caller's host does for a client assertion source that the engine cannot: run code on the caller's
    /// own thread (PowerShell runs a script block only on its pipeline thread), and hide a fetched assertion from a CI
    /// system's logs. The caller passes it with its <see cref="Tokens.TokenRequest"/> (and a revocation with its own), so it
    /// travels with each call and is never looked for elsewhere.
    /// </summary>
    public interface IClientAssertionHost
    {
        Task<string> RunOnCallerThreadAsync(Func<string> produce, CancellationToken cancellationToken);

        /// <summary>A credential just fetched, for the CI's log masking (GitHub Actions' add-mask, Azure Pipelines' setsecret).</summary>
        void RegisterSecret(string value);
    }
}
