from afterglow.manage import main

main()
