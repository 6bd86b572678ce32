using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Logging;

namespace TokenAuth.Credentials
{
    /// <summary>
    /// Azure Arc's challenge: the identity endpoint answers 401 with WWW-Authenticate: Basic realm=PATH, a key file the
    /// agent has just written, and the request is sent again with Authorization: Basic CONTENT. Reading the file proves
    /// the caller may read the agent's folder; but the path comes from whoever answered on the endpoint's port, so it is
    /// read only when it is a small .key file directly in the agent's own folder (not a link), and its content is a
    /// secret from the moment it is read.
    /// </summary>
    internal static class ArcKeyFile
    {
        /// <summary>The largest key file read: Arc's are a few dozen bytes.</summary>
        public const int MaxBytes = 4096;

        /// <summary>
        /// The agent's own folder: /var/opt/azcmagent/tokens, or on Windows %ProgramData%\AzureConnectedMachineAgent\Tokens, found
        /// from the system's known folder rather than the ProgramData variable, which the environment could change.
        /// </summary>
        public static string DefaultFolder =>
            RuntimeInformation.IsOSPlatform(OSPlatform.Windows)
                ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.CommonApplicationData), "AzureConnectedMachineAgent", "Tokens")
                : "/var/opt/azcmagent/tokens";

        /// <summary>The path a challenge names; a named refusal when it names none.</summary>
        /// <remarks>
        /// Read by hand, not with <see cref="AuthenticationChallenges"/>: Arc sends the path unquoted (realm=/var/opt/...,
        /// realm=C:\ProgramData\...), which is no RFC 9110 token, so that parser would end the value at the first '/' or ':'.
        /// </remarks>
        public static string PathIn(string provider, string? challenge)
        {
            const string prefix = "Basic realm=";
            var text = (challenge ?? "").Trim();
            if (!text.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) || text.Length == prefix.Length)
            {
                throw new ManagedIdentityException(provider, ManagedIdentityProblem.Unavailable,
                    "the Azure Arc identity endpoint answered 401 without the Basic realm challenge that names its key file.");
            }

            return text.Substring(prefix.Length).Trim().Trim('"');
        }

        /// <summary>The key file's content, read only from <paramref name="allowedFolder"/> (null: <see cref="DefaultFolder"/>).</summary>
        public static string Read(string provider, string path, string? allowedFolder)
        {
            var folder = allowedFolder ?? DefaultFolder;
            var shown = Redaction.Printable(path);
            string Refuse(string why) => throw new ManagedIdentityException(provider, ManagedIdentityProblem.KeyFileRefused,
                $"the Azure Arc challenge names the key file '{shown}', which {why}; it was not read, and nothing was sent with it.");

            if (HeaderValues.HasControlCharacter(path) || !Path.IsPathRooted(path))
            {
                Refuse("is no full path");
            }

            string full;
            string expected;
            try
            {
                full = Path.GetFullPath(path);
                expected = Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
            }
            catch (Exception ex) when (ex is ArgumentException || ex is NotSupportedException || ex is IOException)
            {
                return Refuse("is no valid path");
            }

            var comparison = RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
            if (!string.Equals(Path.GetDirectoryName(full), expected, comparison))
            {
                Refuse($"is not in the Azure Arc agent's own folder ({expected})");
            }

            if (!full.EndsWith(".key", comparison == StringComparison.Ordinal ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase))
            {
                Refuse("does not end in .key");
            }

            FileInfo file;
            try
            {
                file = new FileInfo(full);
                if (!file.Exists)
                {
                    return Refuse("does not exist");
                }

                if ((file.Attributes & FileAttributes.ReparsePoint) != 0 || (new DirectoryInfo(expected).Attributes & FileAttributes.ReparsePoint) != 0)
                {
                    return Refuse("is a link (or in a linked folder), which could point anywhere");
                }

                if (file.Length > MaxBytes || file.Length == 0)
                {
                    return Refuse($"is {file.Length} bytes long, not a key of 1 to {MaxBytes} bytes");
                }

                var content = Encoding.UTF8.GetString(File.ReadAllBytes(full)).Trim();
                return HeaderValues.IsVisible(content) ? content : Refuse("holds characters a header cannot carry");
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                throw new ManagedIdentityException(provider, ManagedIdentityProblem.Unavailable,
                    $"the Azure Arc key file '{shown}' could not be read ({ex.GetType().Name}): reading it needs membership of the 'himds' group on Linux, or of "
                    + "'Hybrid agent extension applications' on Windows.");
            }
        }
    }
}
