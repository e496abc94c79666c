print("mailtrigger")
