# bash completion for dbcare(1): commands, their options, and files or
# folders where a value is a path. Installed by make install as
# PREFIX/share/bash-completion/completions/dbcare. A command's options are
# the ones `dbcare options COMMAND` prints (read from the option table, so
# they cannot drift from what the command takes); before the command,
# every option (`dbcare options`).
_dbcare()
{
	local cur prev words cword
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	local commands="create drop wait status migrate up rollback down verify validate baseline
		repair history script new lint generate health check orphans maintain retain backup backups
		restore log audit config dump schema serve report alert-rules options help version"
	case $prev in
	--dir|--migrations-dir|-d|--from|--log)
		COMPREPLY=($(compgen -d -- "$cur")); return ;;
	--module|--attach|--schema-file|--token-file|--html|--encrypt-key-file)
		COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--mode)
		COMPREPLY=($(compgen -W "quick standard full" -- "$cur")); return ;;
	--fail-on)
		COMPREPLY=($(compgen -W "warning critical" -- "$cur")); return ;;
	--format)
		COMPREPLY=($(compgen -W "table json plain prometheus" -- "$cur")); return ;;
	--type)
		COMPREPLY=($(compgen -W "full diff incr" -- "$cur")); return ;;
	--compress)
		COMPREPLY=($(compgen -W "zstd none" -- "$cur")); return ;;
	--archive-codec)
		COMPREPLY=($(compgen -W "zstd none" -- "$cur")); return ;;
	--blockers)
		COMPREPLY=($(compgen -W "wait abort" -- "$cur")); return ;;
	esac
	# the command: the first word that is no option nor an option's value
	local i cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-*) ;;
		*) case ${COMP_WORDS[i-1]} in
			--db|--url|--module|--format|--jobs|--dir|--migrations-dir|-d|--to|--steps|\
			--mode|--fail-on|--timeout|--version|--include|--policy|--budget|--sleep-ms|\
			--keep|--days|--attach|--schema-file|--max-failures|--canary|--listen|\
			--scrape-timeout|--min-interval|--token-file|--allow-host|--html|--stanza|--type|--to-time|\
			--archive-db|--archive-codec|--report-interval|--keep-connections|--compress|--encrypt-key-file|--allow-origin|--copy-to|\
			--subscriber|--to-mark|--from|--segment-interval|--segment-bytes|--base-interval|--base-bytes|--run-for|--keep-for|--log|\
			--lock-timeout|--lock-retries|--blockers|--max-replica-lag) ;;
			*) cmd=${COMP_WORDS[i]}; break ;;
			esac ;;
		esac
	done
	if [[ $cur == -* ]]; then
		# the dbcare being completed (a path as typed, ~/ included)
		local prog=${COMP_WORDS[0]} options
		[[ $prog == "~/"* ]] && prog=$HOME/${prog#"~/"}
		options=$("$prog" options ${cmd:+"$cmd"} 2>/dev/null) ||
			options=$("$prog" options 2>/dev/null)
		COMPREPLY=($(compgen -W "$options" -- "$cur"))
	elif [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W "$commands" -- "$cur"))
	else
		case $cmd in
		help) COMPREPLY=($(compgen -W "$commands connecting output exit-codes environment" -- "$cur")) ;;
		options) COMPREPLY=($(compgen -W "$commands" -- "$cur")) ;;
		config) COMPREPLY=($(compgen -W "list get set" -- "$cur")) ;;
		schema) COMPREPLY=($(compgen -W "snapshot fingerprint diff" -- "$cur")) ;;
		backups) COMPREPLY=($(compgen -W "prune" -- "$cur")) ;;
		backup) COMPREPLY=($(compgen -W "drill" -- "$cur") $(compgen -f -- "$cur")) ;;
		log) COMPREPLY=($(compgen -W "status prune" -- "$cur") $(compgen -d -- "$cur")) ;;
		*) COMPREPLY=($(compgen -f -- "$cur")) ;;
		esac
	fi
}
complete -F _dbcare dbcare
