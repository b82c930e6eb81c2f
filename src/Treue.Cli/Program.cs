// Placeholder: the commands are added in the CLI feature work.
return 0;
