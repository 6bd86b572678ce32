using System;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using TokenAuth.Errors;
using TokenAuth.Logging;

namespace TokenAuth.Credentials
{
    /// <summary>
    /// A file, read afresh for each token request, since whatever writes it (Kubernetes' projected service-account
    /// token, the Azure workload identity webhook) replaces it before it expires. Without a path: AZURE_FEDERATED_TOKEN_FILE's.
    /// </summary>
    internal sealed class FileSource : ClientAssertionSource
    {
        private const string AzureTokenFileVariable = "AZURE_FEDERATED_TOKEN_FILE";
        private readonly string? _path;
        private readonly Func<string, string?> _environment;

        public FileSource(string? path, Func<string, string?> environment)
            : base(path == null ? "File" : "File:" + path, "file " + (path ?? "$" + AzureTokenFileVariable))
        {
            _path = path;
            _environment = environment;
        }

        public override string Takes => _path == null ? $"the content of the file {AzureTokenFileVariable} names" : $"the content of the file {Redaction.Printable(_path)}";

        internal override Task<string> FetchAsync(AssertionFetch fetch)
        {
            var path = _path ?? _environment(AzureTokenFileVariable);
            if (string.IsNullOrEmpty(path))
            {
                throw new ClientAssertionException(fetch.Provider, Description, $"no path was given and {AzureTokenFileVariable} is not set");
            }

            // Opening or reading a FIFO, or a file on a hung network mount, can block for ever, and nothing interrupts a
            // blocked read: it runs on a thread of its own, which the token request stops waiting for at its time
            // limit or on Ctrl+C (the thread ends when the file gives way).
            return Task.Factory.StartNew(() => Read(fetch.Provider, path!), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        private string Read(string provider, string path)
        {
            try
            {
                using var reader = new StreamReader(path, Encoding.UTF8);
                return ReadLimited(provider, Description, reader);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is ArgumentException || ex is NotSupportedException)
            {
                var problem = ex is FileNotFoundException || ex is DirectoryNotFoundException ? "does not exist" : ex is UnauthorizedAccessException ? "cannot be read (access denied)" : "cannot be read";
                throw new ClientAssertionException(provider, Description, $"the file {Redaction.Printable(path)} {problem}", ex);
            }
        }
    }
}
