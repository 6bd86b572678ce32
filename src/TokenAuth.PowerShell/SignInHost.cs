using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Runtime.InteropServices;
using TokenAuth.Tokens;

namespace TokenAuth.Commands
{
    /// <summary>
    /// The PowerShell side of a person's sign-in: the device code and any guidance on the information stream (shown like
    /// Write-Host, and capturable with 6>&amp;1), the browser opened as the platform does it (the BROWSER variable first,
    /// then xdg-open, open, or the shell on Windows), and the refusal where no person can answer.
    /// </summary>
    internal sealed class SignInHost : ISignInHost
    {
        /// <summary>Set to 1 where a person can answer although the session looks unattended (a test drives the sign-in, say).</summary>
        internal const string PersonPresentVariable = "TOKENAUTH_SIGNIN_PERSON_PRESENT";

        private static readonly string[] Tags = { "PSHOST", "TokenAuth.SignIn" };
        private readonly TokenAuthCmdlet _cmdlet;

        public SignInHost(TokenAuthCmdlet cmdlet)
        {
            _cmdlet = cmdlet;
        }

        public string? WhyNoPerson => WhyUnattended();

        public void ShowDeviceCode(DeviceCodePrompt prompt) => ShowMessage(prompt.Message);

        public void ShowMessage(string message) =>
            _cmdlet.OnPipelineThread(() => _cmdlet.WriteInformation(new HostInformationMessage { Message = message }, Tags));

        public bool OpenBrowser(Uri address)
        {
            var url = address.AbsoluteUri;
            foreach (var command in (System.Environment.GetEnvironmentVariable("BROWSER") ?? "").Split(new[] { Path.PathSeparator }, StringSplitOptions.RemoveEmptyEntries))
            {
                // As Python's webbrowser: %s stands for the address, else the address is the command's one argument.
                var line = command.Trim();
                var started = line.Contains("%s") ? Start(FirstWord(line.Replace("%s", url), out var rest), rest, wait: false) : Start(line, Quoted(url), wait: false);
                if (started)
                {
                    return true;
                }
            }

            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            {
                return StartShell(url);
            }

            return Start(RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? "open" : "xdg-open", Quoted(url), wait: true);
        }

        /// <summary>Why no person can answer here: a CI job, or a PowerShell started with -NonInteractive; null when one can.</summary>
        internal static string? WhyUnattended()
        {
            if (System.Environment.GetEnvironmentVariable(PersonPresentVariable) == "1")
            {
                return null;
            }

            foreach (var variable in new[] { "TF_BUILD", "GITHUB_ACTIONS" })
            {
                if (string.Equals(System.Environment.GetEnvironmentVariable(variable), "true", StringComparison.OrdinalIgnoreCase))
                {
                    return $"this is a CI job ({variable} is set)";
                }
            }

            return StartedNonInteractive() ? "PowerShell was started with -NonInteractive" : null;
        }

        /// <summary>Whether the process's own options (those before the command or file it runs) hold -NonInteractive, as PowerShell reads them.</summary>
        private static bool StartedNonInteractive() =>
            PowerShellCommandLine.IsNonInteractive(System.Environment.GetCommandLineArgs().Skip(1).ToList(),
                RuntimeInformation.FrameworkDescription.StartsWith(".NET Framework", StringComparison.Ordinal));

        private static bool Start(string program, string arguments, bool wait)
        {
            try
            {
                using var process = Process.Start(new ProcessStartInfo(program, arguments) { UseShellExecute = false, CreateNoWindow = true });
                if (process == null)
                {
                    return false;
                }

                // xdg-open and open answer at once; a nonzero exit means no browser could take the address.
                return !wait || !process.WaitForExit(3000) || process.ExitCode == 0;
            }
            catch (Exception ex) when (ex is System.ComponentModel.Win32Exception || ex is InvalidOperationException || ex is FileNotFoundException)
            {
                return false;
            }
        }

        private static bool StartShell(string url)
        {
            try
            {
                using var process = Process.Start(new ProcessStartInfo(url) { UseShellExecute = true });
                return true;
            }
            catch (Exception ex) when (ex is System.ComponentModel.Win32Exception || ex is InvalidOperationException)
            {
                return false;
            }
        }

        private static string FirstWord(string line, out string rest)
        {
            var space = line.IndexOf(' ');
            rest = space < 0 ? "" : line.Substring(space + 1);
            return space < 0 ? line : line.Substring(0, space);
        }

        private static string Quoted(string url) => "\"" + url + "\"";
    }
}
