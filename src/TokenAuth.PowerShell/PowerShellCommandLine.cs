using System;
using System.Collections.Generic;

namespace TokenAuth.Commands
{
    /// <summary>
    /// Reads the process's own PowerShell options as pwsh (and powershell.exe) reads them: -NonInteractive counts only
    /// among the options before the command or file, never among the script's or command's own arguments after them.
    /// </summary>
    internal static class PowerShellCommandLine
    {
        /// <summary>An option's name, the shortest abbreviation PowerShell takes for it, and what it does to the reading.</summary>
        private enum Effect
        {
            /// <summary>A flag: nothing to skip.</summary>
            Flag,

            /// <summary>Takes the next argument as its value (skipped), and reading goes on.</summary>
            Value,

            /// <summary>The command or file starts here: everything after it is its own.</summary>
            Ends,

            NonInteractive,

            /// <summary>pwsh's -Interactive, which undoes an earlier -NonInteractive.</summary>
            Interactive,
        }

        // In PowerShell's own order: the first that matches wins (-c is -Command, -cwa is -CommandWithArgs).
        private static readonly (string Name, string Shortest, Effect Effect, bool PwshOnly)[] Options =
        {
            ("version", "v", Effect.Ends, false),
            ("help", "h", Effect.Ends, false),
            ("login", "l", Effect.Flag, true),
            ("noexit", "noe", Effect.Flag, false),
            ("noprofile", "nop", Effect.Flag, false),
            ("nologo", "nol", Effect.Flag, false),
            ("noninteractive", "noni", Effect.NonInteractive, false),
            ("noprofileloadtime", "noprofileloadtime", Effect.Flag, true),
            ("interactive", "i", Effect.Interactive, true),
            ("configurationfile", "configurationfile", Effect.Value, true),
            ("configurationname", "config", Effect.Value, false),
            ("custompipename", "cus", Effect.Value, true),
            ("commandwithargs", "commandwithargs", Effect.Ends, true),
            ("cwa", "cwa", Effect.Ends, true),
            ("command", "c", Effect.Ends, false),
            ("windowstyle", "w", Effect.Value, false),
            ("file", "f", Effect.Ends, false),
            ("outputformat", "o", Effect.Value, false),
            ("of", "o", Effect.Value, false),
            ("inputformat", "in", Effect.Value, false),
            ("if", "if", Effect.Value, false),
            ("executionpolicy", "ex", Effect.Value, false),
            ("ep", "ep", Effect.Value, false),
            // The encoded command is one value, and reading goes on after it (unlike -Command).
            ("encodedcommand", "e", Effect.Value, false),
            ("ec", "e", Effect.Value, false),
            ("encodedarguments", "encodeda", Effect.Value, false),
            ("ea", "ea", Effect.Value, false),
            ("settingsfile", "settings", Effect.Value, true),
            ("sta", "sta", Effect.Flag, false),
            ("mta", "mta", Effect.Flag, false),
            ("workingdirectory", "wo", Effect.Value, true),
            ("wd", "wd", Effect.Value, true),
        };

        /// <param name="arguments">The process's arguments after the program's own path.</param>
        /// <param name="windowsPowerShell">powershell.exe, which has no -Interactive, -CommandWithArgs or -WorkingDirectory (its -i is -InputFormat).</param>
        public static bool IsNonInteractive(IReadOnlyList<string> arguments, bool windowsPowerShell)
        {
            var nonInteractive = false;
            for (var i = 0; i < arguments.Count; i++)
            {
                var argument = arguments[i].Trim();
                if (argument.Length == 0)
                {
                    continue;
                }

                if (argument[0] != '-' && argument[0] != '/')
                {
                    // A script file, and its own arguments after it.
                    break;
                }

                var key = argument.Substring(argument.StartsWith("--", StringComparison.Ordinal) ? 2 : 1);
                var effect = Effect.Ends; // An option PowerShell does not know is taken for the file.
                foreach (var option in Options)
                {
                    if ((!windowsPowerShell || !option.PwshOnly) && key.Length >= option.Shortest.Length
                        && option.Name.StartsWith(key, StringComparison.OrdinalIgnoreCase))
                    {
                        effect = option.Effect;
                        break;
                    }
                }

                switch (effect)
                {
                    case Effect.NonInteractive:
                        nonInteractive = true;
                        break;
                    case Effect.Interactive:
                        nonInteractive = false;
                        break;
                    case Effect.Value:
                        i++;
                        break;
                    case Effect.Ends:
                        return nonInteractive;
                }
            }

            return nonInteractive;
        }
    }
}
