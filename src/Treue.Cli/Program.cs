using Treue.Cli;

return await Cli.RunAsync(args, Terminal.System);
