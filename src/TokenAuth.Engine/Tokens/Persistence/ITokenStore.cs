using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace TokenAuth.Tokens
{
    /// <summary>
    /// Where tokens are kept beyond the session when the caller asks for it: a vault the user names (SecretManagement in
    /// the module). The engine decides what goes in and what comes out (<see cref="PersistedTokenEntry"/>, <see cref="PersistedTokenName"/>);
    /// a store only moves opaque text under opaque names. Each call may fail with any exception: the engine bounds it by
    /// the token timeout, reports it once as a warning and carries on with the session's cache.
    /// </summary>
    public interface ITokenStore
    {
        /// <summary>The text stored under the name; null when there is none.</summary>
        Task<string?> ReadAsync(string vault, string name, CancellationToken cancellationToken);

        /// <summary>Stores the text under the name, replacing what was there.</summary>
        Task WriteAsync(string vault, string name, string text, CancellationToken cancellationToken);

        /// <summary>Removes the names given; returns how many were there.</summary>
        Task<int> RemoveAsync(string vault, IReadOnlyCollection<string> names, CancellationToken cancellationToken);

        /// <summary>The names in the vault that start with the prefix.</summary>
        Task<IReadOnlyList<string>> ListAsync(string vault, string prefix, CancellationToken cancellationToken);
    }
}
